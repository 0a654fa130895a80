"""The HTTP API for scripts and other systems, under /api/v1/ (django-ninja).

HTTP only, as the views are: every endpoint parses its input, checks the token user's
permission, and calls the same services and selectors the pages call, so the rules (roles, team
scopes, the directory's filters, CAD's idempotency and overlap checks) are the pages' own.

- `middleware`: who the request is (a personal token, never a session cookie) and the rate limit;
  runs before `TeamScopeMiddleware`, which then sets the token user's scope.
- `main`: the NinjaAPI, its authentication and its errors (RFC 9457 problem details).
- `problems`: the problem details themselves; `schemas`: what the endpoints answer.
- one module per kind of thing: `agents`, `cad_jobs`, `changes`, `targets`, `coverage`.
"""
