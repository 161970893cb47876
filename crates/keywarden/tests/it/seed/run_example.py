"""Runs one Python example of the vendor page verbatim and reports what it did.

Usage: python3 run_example.py SNIPPET_FILE VARIABLES_JSON EXPORT_NAMES_JSON

The snippet's free variables (`domain`, `project`, `repo_key`, `creds`, ...) are the
placeholders; they come from VARIABLES_JSON (a JSON list becomes a tuple, as in
`creds = ('user', 'password')`). The snippet runs unchanged with `requests` as the page
writes it. Every HTTP exchange it makes is recorded by wrapping `requests.Session.request`
(the function every `requests.get/post/...` call ends in), and printed as one JSON object:
{"calls": [{"method", "url", "status", "contentType", "body"}], "vars": {name: value}},
where `vars` holds the snippet's own variables named in EXPORT_NAMES_JSON.
"""

import json
import sys

import requests

calls = []
_request = requests.Session.request


def _recording_request(self, method, url, *args, **kwargs):
    response = _request(self, method, url, *args, **kwargs)
    calls.append(
        {
            "method": method.upper(),
            "url": url,
            "status": response.status_code,
            "contentType": response.headers.get("Content-Type"),
            "body": response.text,
        }
    )
    return response


requests.Session.request = _recording_request

snippet_file, variables, export = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
namespace = {"requests": requests}
for name, value in variables.items():
    namespace[name] = tuple(value) if isinstance(value, list) else value
with open(snippet_file, encoding="utf-8") as f:
    code = compile(f.read(), snippet_file, "exec")
exec(code, namespace)
print(json.dumps({"calls": calls, "vars": {name: namespace.get(name) for name in export}}))
