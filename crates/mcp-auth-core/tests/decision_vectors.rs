//! The Rust decision against the TypeScript one it replaced: every vector
//! recorded from `lib/` before the decision moved here (the recorder,
//! `scripts/decision-vectors.mjs`, is in commit 34078e1) must still come out
//! byte for byte. The fixture is frozen: a wire change shows up here.

use mcp_auth_core::decision::*;
use serde_json::Value;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/decision-vectors.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn decider(fixture: &Value, name: &str) -> Decider {
    let c = &fixture["configs"][name];
    let dpop = c["dpop"].as_object().map(|d| DpopSettings {
        mode: if d["mode"] == "required" {
            DpopMode::Required
        } else {
            DpopMode::Allowed
        },
        algorithms: strings(&d["algorithms"]),
    });
    let scope_hierarchy = match c["hierarchy"].as_array() {
        Some(list) => {
            let entries: Vec<(String, Vec<String>)> = list
                .iter()
                .map(|e| (e[0].as_str().unwrap().to_owned(), strings(&e[1])))
                .collect();
            ScopeHierarchy::compile(&entries, "scopeHierarchy").unwrap()
        }
        None => ScopeHierarchy::none(),
    };
    Decider::new(DecisionConfig {
        dpop,
        resource_metadata_url: s(&c["resourceMetadataUrl"]).map(str::to_owned),
        required_scopes: strings(&c["requiredScopes"]),
        scope_hierarchy,
        show_error_details: c["showErrorDetails"].as_bool().unwrap(),
        max_token_length: c["maxTokenLength"].as_u64().unwrap() as usize,
        mtls: None,
    })
}

fn scheme(v: &Value) -> Scheme {
    if v == "dpop" {
        Scheme::Dpop
    } else {
        Scheme::Bearer
    }
}

fn assert_response(name: &str, got: &Response, expect: &Value) {
    assert_eq!(
        u64::from(got.status),
        expect["status"].as_u64().unwrap(),
        "{name}: status"
    );
    assert_eq!(got.headers, pairs(&expect["headers"]), "{name}: headers");
    assert_eq!(got.body, expect["body"].as_str().unwrap(), "{name}: body");
}

#[test]
fn decide_matches_typescript() {
    let f = fixture();
    let list = f["vectors"]["decide"].as_array().unwrap();
    for v in list {
        let name = v["name"].as_str().unwrap();
        let d = decider(&f, v["config"].as_str().unwrap());
        let r = &v["request"];
        let headers = pairs(&r["headers"]);
        let request = Request {
            method: r["method"].as_str().unwrap(),
            url: r["url"].as_str().unwrap(),
            original_url: s(&r["originalUrl"]),
            headers: &headers,
            client_certificate: None,
        };
        match (d.decide(&request), v.get("credentials")) {
            (
                Decision::Credentials {
                    token,
                    scheme: used,
                    proof,
                },
                Some(c),
            ) => {
                assert_eq!(token, c["token"].as_str().unwrap(), "{name}");
                assert_eq!(used, scheme(&c["scheme"]), "{name}");
                assert_eq!(proof, s(&c["proof"]), "{name}");
                if let Some(htu) = s(&c["htu"]) {
                    assert_eq!(request.htu_url(), htu, "{name}");
                }
                // What TypeScript answered next: a bound token presented as Bearer.
                if used == Scheme::Bearer {
                    assert!(d.bind(used, true, true).is_err(), "{name}");
                }
            }
            (Decision::Respond(got), None) => assert_response(name, &got, &v["respond"]),
            (other, _) => panic!("{name}: {other:?}"),
        }
    }
    assert!(list.len() > 400);
}

fn refusal(r: &Value) -> Refusal<'_> {
    match r["kind"].as_str().unwrap() {
        "coded" => Refusal::Coded {
            code: r["code"].as_str().unwrap(),
            fault: r["fault"].as_str().unwrap(),
            reason: r["reason"].as_str().unwrap(),
            retry_after: r["retryAfter"].as_f64(),
            nonce: s(&r["nonce"]),
        },
        "missingScopes" => {
            Refusal::MissingScopes(r["missing"].as_array().map(|_| strings(&r["missing"])))
        }
        "described" => Refusal::Described {
            code: r["code"].as_str().unwrap(),
            message: r["message"].as_str().unwrap(),
            cause_json: s(&r["causeJson"]).map(str::to_owned),
        },
        "server" => Refusal::Server {
            code: r["code"].as_str().unwrap(),
            description: r["description"].as_str().unwrap(),
        },
        _ => Refusal::Unexpected,
    }
}

#[test]
fn refusals_match_typescript() {
    let f = fixture();
    for v in f["vectors"]["refuse"].as_array().unwrap() {
        let d = decider(&f, v["config"].as_str().unwrap());
        let got = d.refuse(&refusal(&v["refusal"]), Some(scheme(&v["used"])));
        assert_response(v["name"].as_str().unwrap(), &got, &v["expect"]);
    }
}

#[test]
fn binding_and_scopes_match_typescript() {
    let f = fixture();
    for v in f["vectors"]["authorize"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let d = decider(&f, v["config"].as_str().unwrap());
        let used = scheme(&v["used"]);
        let headers = pairs(&v["headers"]);
        let request = Request {
            method: "GET",
            url: "/mcp",
            original_url: None,
            headers: &headers,
            client_certificate: None,
        };
        if let Decision::Respond(got) = d.decide(&request) {
            assert_response(name, &got, &v["respond"]);
            continue;
        }
        let outcome = d
            .bind(
                used,
                v["cnfPresent"].as_bool().unwrap(),
                v["jktPresent"].as_bool().unwrap(),
            )
            .map(|()| d.authorize(used, &strings(&v["granted"])));
        match (outcome, v.get("accept")) {
            (Ok(Authorization::Accept { effective_scopes }), Some(accept)) => {
                assert_eq!(effective_scopes, strings(accept), "{name}")
            }
            (Ok(Authorization::Respond(got)) | Err(got), None) => {
                assert_response(name, &got, &v["respond"])
            }
            (other, _) => panic!("{name}: {other:?}"),
        }
    }
    for v in f["vectors"]["rechallenge"].as_array().unwrap() {
        let d = decider(&f, v["config"].as_str().unwrap());
        assert_eq!(
            d.rechallenge(scheme(&v["used"]), v["header"].as_str().unwrap())
                .as_deref(),
            s(&v["expect"]),
            "{v}"
        );
    }
}

#[test]
fn challenges_hierarchies_metadata_and_preflight_match_typescript() {
    let f = fixture();
    let v = &f["vectors"];
    for c in v["challenges"].as_array().unwrap() {
        let p = &c["params"];
        let params = ChallengeParams {
            scheme: s(&p["scheme"]).map(|n| {
                if n == "DPoP" {
                    Scheme::Dpop
                } else {
                    Scheme::Bearer
                }
            }),
            algs: s(&p["algs"]),
            error: s(&p["error"]),
            error_description: s(&p["errorDescription"]),
            resource_metadata: s(&p["resourceMetadata"]),
            scope: s(&p["scope"]),
        };
        assert_eq!(
            build_challenge(&params),
            c["expect"].as_str().unwrap(),
            "{p}"
        );
    }
    for h in v["hierarchies"].as_array().unwrap() {
        let entries: Vec<(String, Vec<String>)> = h["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e[0].as_str().unwrap().to_owned(), strings(&e[1])))
            .collect();
        match (
            ScopeHierarchy::compile(&entries, "scopeHierarchy"),
            h["expect"].get("error"),
        ) {
            (Ok(compiled), None) => {
                for pair in h["expect"]["expansions"].as_array().unwrap() {
                    assert_eq!(
                        compiled.expand(&strings(&pair[0])),
                        strings(&pair[1]),
                        "{h}"
                    );
                }
            }
            (Err(message), Some(expected)) => assert_eq!(message, expected.as_str().unwrap()),
            (other, _) => panic!("{h}: {other:?}"),
        }
    }
    for m in v["metadata"].as_array().unwrap() {
        let input = &m["input"];
        let metadata = ResourceMetadata {
            resource: input["resource"].as_str().unwrap().to_owned(),
            authorization_servers: input["authorizationServers"]
                .as_array()
                .map(|_| strings(&input["authorizationServers"])),
            scopes_supported: input["scopesSupported"]
                .as_array()
                .map(|_| strings(&input["scopesSupported"])),
            other: input["other"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_owned(),
                        WrittenJson::from_value(&p[1]),
                    )
                })
                .collect(),
        };
        let algorithms = strings(&m["dpop"]["algorithms"]);
        let dpop = m["dpop"].as_object().map(|d| DpopAdvert {
            required: d["mode"] == "required",
            algorithms: &algorithms,
        });
        assert_eq!(
            build_resource_metadata_document(&metadata, dpop),
            m["expect"].as_str().unwrap()
        );
        let url =
            protected_resource_metadata_url(&url::Url::parse(&metadata.resource).unwrap()).unwrap();
        assert_eq!(url.as_str(), m["url"].as_str().unwrap());
    }
    for p in v["preflight"].as_array().unwrap() {
        assert_eq!(
            is_cors_preflight(p["method"].as_str().unwrap(), &pairs(&p["headers"])),
            p["expect"].as_bool().unwrap(),
            "{p}"
        );
    }
}
