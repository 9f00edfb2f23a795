"""A small JSON client over Flask's test client."""

from __future__ import annotations

import time


class ApiClient:
    """Wraps Flask's test client: every call returns `(status, json_body, headers)`."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, json=None, token=None, headers=None, **kwargs):
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, json=json, headers=hdrs, **kwargs)
        body = response.get_json(silent=True)
        return response.status_code, body, response.headers

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def wait_job(self, job_id, token=None, timeout=20.0):
        """Poll a job until it ends; returns the job dict."""
        deadline = time.monotonic() + timeout
        while True:
            status, body, _ = self.get(f"/api/v1/jobs/{job_id}", token=token)
            assert status == 200, body
            job = body["data"]
            if job["state"] in ("succeeded", "failed", "cancelled"):
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job['state']} after {timeout}s: {job}")
            time.sleep(0.05)


def assert_error(status, body, expected, reason=None):
    """The answer is `expected` in the error envelope (with `reason`, when given)."""
    assert status == expected, body
    assert set(body["error"]) >= {"code", "message", "details", "requestId"}, body
    if reason:
        assert body["error"]["reason"] == reason, body
