// scripts/check-samples.mjs imports every marked Python sample against
// loopback test authorization servers (scripts/samples/python-import.mjs):
// the issuer rewrite on its own, then the checker run with `--docs` on a
// fixture document whose samples fetch, raise at import, stay offline or run.
// Needs the Python virtualenv (`npm run build:python`) and dist/.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { issuerLiterals, rewrite } from '../scripts/samples/python-import.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('the issuer rewrite', () => {
  const code = [
    'a = fetch_server_config("https://login.example.com", AuthServerType.OIDC)',
    "b = fetch_server_config_async('https://auth.example.com/oidc/', AuthServerType.OAUTH)",
    'c = fetch_server_config_by_well_known_url(',
    '    "https://wk.example.com/.well-known/openid-configuration/tenant", AuthServerType.OIDC)',
    'd = {"issuer": "https://login.example.com", "other": "https://login.example.com/authorize"}',
    'e = fetch_server_config(ISSUER, AuthServerType.OIDC)',
  ].join('\n');

  it('finds each literal passed to a fetch function once, with the path its server serves', () => {
    assert.deepEqual(
      issuerLiterals(code).map(({ quoted, origin, issuerPath }) => [quoted, origin, issuerPath]),
      [
        ['"https://login.example.com"', 'https://login.example.com', ''],
        ["'https://auth.example.com/oidc/'", 'https://auth.example.com', '/oidc'],
        ['"https://wk.example.com/.well-known/openid-configuration/tenant"', 'https://wk.example.com', '/tenant'],
      ],
    );
  });

  it('swaps the origin wherever that exact quoted string occurs, and nothing else', () => {
    const origins = new Map([
      ['https://login.example.com', 'http://127.0.0.1:1001'],
      ['https://auth.example.com/oidc', 'http://127.0.0.1:1002'],
      ['https://wk.example.com/tenant', 'http://127.0.0.1:1003'],
    ]);
    assert.equal(
      rewrite(code, issuerLiterals(code), origins),
      [
        'a = fetch_server_config("http://127.0.0.1:1001", AuthServerType.OIDC)',
        "b = fetch_server_config_async('http://127.0.0.1:1002/oidc/', AuthServerType.OAUTH)",
        'c = fetch_server_config_by_well_known_url(',
        '    "http://127.0.0.1:1003/.well-known/openid-configuration/tenant", AuthServerType.OIDC)',
        'd = {"issuer": "http://127.0.0.1:1001", "other": "https://login.example.com/authorize"}',
        'e = fetch_server_config(ISSUER, AuthServerType.OIDC)',
      ].join('\n'),
    );
  });
});

const FIXTURE = `# Fixture

<!-- sample: fetches -->
\`\`\`python
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.utils import fetch_server_config

config = fetch_server_config("https://auth.example.com/oidc", AuthServerType.OIDC)
# The same string later in the sample names the same loopback issuer.
assert config.metadata.issuer == "https://auth.example.com/oidc", config.metadata.issuer
assert config.metadata.issuer.startswith("http://127.0.0.1:")
\`\`\`

<!-- sample: raises -->
\`\`\`python
from mcp_auth_rs.config import AuthServerType
from mcp_auth_rs.utils import fetch_server_config

config = fetch_server_config("https://login.example.com", AuthServerType.OAUTH)
raise RuntimeError("raised at import")
\`\`\`

<!-- sample: offline -->
\`\`\`python
import os

RESOURCE = os.environ["RESOURCE"]
\`\`\`

<!-- sample: runs run -->
\`\`\`python
import os

assert __name__ == "__main__"  # run, not imported
assert os.environ["ISSUER"].startswith("http://127.0.0.1:")
\`\`\`
`;

describe('check-samples --docs', () => {
  it('imports each Python sample, fails the one that raises at import and names its line', { timeout: 180_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-samples-'));
    try {
      writeFileSync(join(dir, 'fixture.md'), FIXTURE);
      const checker = spawnSync(process.execPath, [join(root, 'scripts', 'check-samples.mjs'), '--docs', dir], {
        cwd: root,
        encoding: 'utf8',
        timeout: 170_000,
      });
      const output = `${checker.stdout}${checker.stderr}`;
      assert.equal(checker.status, 1, output);
      assert.match(checker.stdout, /^samples: 4 checked \(ts 0, js 0, py 4: 2 imported, 1 run\), 1 failed$/m, output);
      const raiseLine = FIXTURE.split('\n').indexOf('raise RuntimeError("raised at import")') + 1;
      assert.ok(checker.stderr.includes(`✗ ${join(dir, 'fixture.md')} \`raises\``), output);
      assert.ok(checker.stderr.includes(`${join(dir, 'fixture.md')}:${raiseLine}: import failed`), output);
      assert.match(checker.stderr, /RuntimeError: raised at import/, output);
      assert.doesNotMatch(checker.stderr, /`(fetches|offline|runs)`/, output);
      // The doc's text is what mypy saw; the imported copy is the rewritten one.
      const copy = (name) => readFileSync(join(dir, 'samples', ...name), 'utf8');
      assert.match(copy(['fixture__fetches.py']), /"https:\/\/auth\.example\.com\/oidc"/);
      assert.match(copy(['import', 'fixture__fetches.py']), /fetch_server_config\("http:\/\/127\.0\.0\.1:\d+\/oidc"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
