"""Roll a new CA out to a Co-browse Cluster over the REST API, then wait for the checks' verdicts.

    CBA_URL=http://127.0.0.1:8000 CBA_TOKEN=cba_... \\
        python api_example.py new-root-ca.pem "Genesys CA" Cobrowse_Cluster

The token comes from your profile page (or ``manage.py api_token USERNAME``); it needs the Security
officer role. Every write sends back the ETag it read (If-Match): a change made meanwhile by someone
else is a 412, never overwritten.
"""

import os
import sys
import time

import requests


def roll_out_ca(base_url: str, token: str, ca_file: str, store_name: str, cluster_name: str) -> dict:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    url = base_url.rstrip("/") + "/api/v1"

    def ok(response: requests.Response) -> requests.Response:
        if response.status_code >= 400:  # problem+json: what went wrong, by field
            raise SystemExit(f"{response.request.method} {response.url}: {response.status_code} {response.text}")
        return response

    # 1. Import the CA into the trusted store (a dry run first shows what would be imported).
    stores = ok(api.get(f"{url}/stores/", params={"name": store_name})).json()["results"]
    store = next(s for s in stores if s["name"] == store_name)
    with open(ca_file, "rb") as f:
        preview = ok(api.post(f"{url}/certificates/upload/", files={"files": f},
                              data={"store": store["id"], "dry_run": "true"})).json()
    for found in (c for file in preview["files"] for c in file["certificates"]):
        print(f"{found['common_name']}: {', '.join(found['warnings']) or 'no warning'}")
    with open(ca_file, "rb") as f:
        ok(api.post(f"{url}/certificates/upload/", files={"files": f}, data={"store": store["id"]}))

    # 2. Apply the store to every Node of the Cluster (all or nothing).
    clusters = ok(api.get(f"{url}/applications/", params={"type": "cobrowse_cluster", "q": cluster_name})).json()
    cluster = next(app for app in clusters["results"] if app["name"] == cluster_name)
    apply_url = f"{url}/applications/{cluster['id']}/security/cluster-apply/"
    nodes = ok(api.get(apply_url))
    ok(api.post(apply_url, json={"provider": store["provider"], "store": store["id"], "note": "new CA"},
                headers={"If-Match": nodes.headers["ETag"]}))

    # 3. Validate everything now and wait for the sweep to finish.
    started = ok(api.post(f"{url}/sweeps/"))
    sweep = started.json()
    while not sweep["finished"]:
        time.sleep(2)
        sweep = ok(api.get(base_url.rstrip("/") + started.headers["Location"])).json()
        print(f"sweep #{sweep['id']}: {sweep['percent']}%")

    # 4. The verdicts: each Node's readiness, and the Cluster's errors.
    nodes = ok(api.get(f"{url}/applications/", params={"cluster": cluster["id"]})).json()["results"]
    errors = ok(api.get(f"{url}/findings/", params={"cluster": cluster["id"], "severity": "error"})).json()
    for node in nodes:
        print(f"{node['name']}: {node['readiness']['verdict'] or 'no verdict'}")
    for finding in errors["results"]:
        print(f"error on {finding['object_name']}: {finding['message']}")
    return {"sweep": sweep, "nodes": {n["name"]: n["readiness"]["verdict"] for n in nodes},
            "errors": errors["count"]}


if __name__ == "__main__":
    roll_out_ca(os.environ["CBA_URL"], os.environ["CBA_TOKEN"], *sys.argv[1:4])
