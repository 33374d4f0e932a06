//! Multi-tenant issuers. An issuer configured with one `{tenantid}`
//! placeholder in its path (Microsoft Entra ID's form, as its tenant-independent
//! metadata publishes it) trusts exactly one `iss` per token: the template with
//! that token's own `tid` in place, where `tid` is GUID-shaped and, when
//! `tenants` is set, one of them. Keys still come only from the issuer's own
//! configured key set (C17); a template is never discovered.

use crate::error::{AuthError, AuthResult, ErrorCode};
use serde_json::{Map, Value};

pub const PLACEHOLDER: &str = "{tenantid}";

/// A GUID that stands in for the placeholder when the template is checked as a URL.
const SAMPLE_TENANT: &str = "00000000-0000-0000-0000-000000000000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerTemplate {
    prefix: String,
    suffix: String,
    /// Allowed tenants, lower-cased; empty means any tenant.
    tenants: Vec<String>,
}

/// How a token's `iss` relates to one template.
#[derive(Debug)]
pub enum TenantMatch {
    /// `iss` does not have this template's shape: try the next issuer.
    NotThis,
    Matched,
    /// `iss` has this template's shape but the token fails its rule.
    Refused(AuthError),
}

/// `8-4-4-4-12` hexadecimal digits, either case.
pub fn is_guid(value: &str) -> bool {
    value.len() == 36
        && value.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

impl IssuerTemplate {
    /// The template in `issuer`, or `None` for a plain issuer. `tenants` is
    /// accepted only with a template. The caller checks the URL form with
    /// `sample_issuer`.
    pub fn parse(issuer: &str, tenants: Option<&[String]>) -> AuthResult<Option<Self>> {
        let Some((prefix, suffix)) = issuer.split_once(PLACEHOLDER) else {
            if tenants.is_some() {
                return Err(AuthError::config(format!(
                    "`tenants` is only for an issuer with a {PLACEHOLDER} placeholder"
                )));
            }
            return Ok(None);
        };
        if suffix.contains(PLACEHOLDER) {
            return Err(AuthError::config(format!(
                "An issuer may contain {PLACEHOLDER} only once"
            )));
        }
        // The tenant must be a path segment of its own, not part of the host.
        let path_start = prefix
            .split_once("://")
            .map(|(_, rest)| rest.contains('/'))
            .unwrap_or(false);
        if !path_start || !prefix.ends_with('/') || !(suffix.is_empty() || suffix.starts_with('/'))
        {
            return Err(AuthError::config(format!(
                "The {PLACEHOLDER} placeholder must be a whole path segment of the issuer"
            )));
        }
        let tenants = match tenants {
            None => Vec::new(),
            Some(list)
                if !list.is_empty() && list.len() <= 1000 && list.iter().all(|t| is_guid(t)) =>
            {
                list.iter().map(|t| t.to_ascii_lowercase()).collect()
            }
            Some(_) => {
                return Err(AuthError::config(
                    "`tenants` must be a list of 1 to 1000 tenant ids, each a GUID",
                ))
            }
        };
        Ok(Some(Self {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
            tenants,
        }))
    }

    /// The template with a sample tenant, for the issuer URL checks.
    pub fn sample_issuer(&self) -> String {
        self.issuer_for(SAMPLE_TENANT)
    }

    /// The issuer of one tenant.
    pub fn issuer_for(&self, tenant: &str) -> String {
        format!("{}{tenant}{}", self.prefix, self.suffix)
    }

    /// Judges `iss` against this template using the token's `tid`.
    pub fn check(&self, iss: &str, claims: &Map<String, Value>) -> TenantMatch {
        let shaped = iss.len() > self.prefix.len() + self.suffix.len()
            && iss.starts_with(&self.prefix)
            && iss.ends_with(&self.suffix);
        if !shaped {
            return TenantMatch::NotThis;
        }
        let refuse = |code, reason: &str| TenantMatch::Refused(AuthError::new(code, reason));
        let tid = match claims.get("tid") {
            None => return refuse(ErrorCode::MissingClaim, "token has no tid claim"),
            Some(Value::String(tid)) if is_guid(tid) => tid,
            Some(_) => return refuse(ErrorCode::InvalidClaim, "token claim tid is invalid"),
        };
        if iss != self.issuer_for(tid) {
            return refuse(
                ErrorCode::IssuerUntrusted,
                "token issuer does not match its tenant",
            );
        }
        if !self.tenants.is_empty() && !self.tenants.contains(&tid.to_ascii_lowercase()) {
            return refuse(ErrorCode::TenantNotAllowed, "token tenant is not allowed");
        }
        TenantMatch::Matched
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V2: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
    const T1: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const T2: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    fn template(issuer: &str, tenants: Option<&[&str]>) -> AuthResult<Option<IssuerTemplate>> {
        let tenants = tenants.map(|l| l.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        IssuerTemplate::parse(issuer, tenants.as_deref())
    }

    fn outcome(t: &IssuerTemplate, iss: &str, tid: Value) -> Option<ErrorCode> {
        let mut claims = Map::new();
        if !tid.is_null() {
            claims.insert("tid".into(), tid);
        }
        match t.check(iss, &claims) {
            TenantMatch::Matched => None,
            TenantMatch::NotThis => Some(ErrorCode::IssuerUntrusted),
            TenantMatch::Refused(e) => Some(e.code),
        }
    }

    #[test]
    fn guids() {
        assert!(is_guid(T1));
        assert!(is_guid(&T1.to_ascii_uppercase()));
        for bad in [
            "",
            "common",
            "organizations",
            &T1[1..],
            "72f988bf-86f1-41af-91ab-2d7cd011db4g",
            "72f988bf086f1-41af-91ab-2d7cd011db47",
            "72f988bf-86f1-41af-91ab-2d7cd011db47/",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
    }

    #[test]
    fn iss_must_be_the_template_with_the_tokens_own_tid() {
        let t = template(V2, None).unwrap().unwrap();
        let iss = |tid: &str| format!("https://login.microsoftonline.com/{tid}/v2.0");
        assert_eq!(outcome(&t, &iss(T1), json!(T1)), None);
        assert_eq!(outcome(&t, &iss(T2), json!(T2)), None);
        // iss names one tenant, tid another.
        assert_eq!(
            outcome(&t, &iss(T1), json!(T2)),
            Some(ErrorCode::IssuerUntrusted)
        );
        assert_eq!(
            outcome(&t, &iss("common"), json!(T1)),
            Some(ErrorCode::IssuerUntrusted)
        );
        assert_eq!(outcome(&t, V2, json!(T1)), Some(ErrorCode::IssuerUntrusted));
        assert_eq!(
            outcome(&t, &iss(T1), Value::Null),
            Some(ErrorCode::MissingClaim)
        );
        for bad in [
            json!("common"),
            json!(7),
            json!([T1]),
            json!(format!("{T1}/v2.0/x")),
        ] {
            assert_eq!(outcome(&t, &iss(T1), bad), Some(ErrorCode::InvalidClaim));
        }
        // Other shapes are not this template's to judge.
        for other in [
            "https://sts.windows.net/{T1}/",
            "https://login.microsoftonline.com/v2.0",
            "https://login.microsoftonline.com/x/v2.0/extra",
        ] {
            assert!(
                matches!(t.check(other, &Map::new()), TenantMatch::NotThis),
                "{other}"
            );
        }
    }

    #[test]
    fn tenant_allow_list() {
        let t = template(
            "https://sts.windows.net/{tenantid}/",
            Some(&[&T1.to_ascii_uppercase()]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            outcome(&t, &format!("https://sts.windows.net/{T1}/"), json!(T1)),
            None
        );
        assert_eq!(
            outcome(&t, &format!("https://sts.windows.net/{T2}/"), json!(T2)),
            Some(ErrorCode::TenantNotAllowed)
        );
        assert_eq!(t.issuer_for(T1), format!("https://sts.windows.net/{T1}/"));
    }

    #[test]
    fn configuration_rules() {
        assert_eq!(template("https://as.example.com", None).unwrap(), None);
        let err =
            |issuer: &str, tenants: Option<&[&str]>| template(issuer, tenants).unwrap_err().reason;
        assert!(err("https://as.example.com", Some(&[T1])).contains("`tenants`"));
        assert!(err("https://{tenantid}.example.com/", None).contains("whole path segment"));
        assert!(err("https://as.example.com/t{tenantid}/v2.0", None).contains("whole path segment"));
        assert!(err("https://as.example.com/{tenantid}x", None).contains("whole path segment"));
        assert!(err("https://as.example.com/{tenantid}/{tenantid}", None).contains("only once"));
        for bad in [&[][..], &["common"][..]] {
            assert!(err(V2, Some(bad)).contains("GUID"));
        }
        assert_eq!(
            template(V2, None).unwrap().unwrap().sample_issuer(),
            "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"
        );
    }
}
