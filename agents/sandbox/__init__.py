"""The embedded DeepCall sandbox: a stand-in of the Agent API for development, demos and tests.

This package imports nothing from Django, so settings can read the credentials below.
"""

# The sandbox's own credentials: they open only the sandbox, never a real account.
SANDBOX_SSID = "sandbox-ssid"
SANDBOX_USER_ID = "sandbox-user"
SANDBOX_TOKEN = "sandbox-token"  # noqa: S105
# The client the sandbox's development OpenID provider knows (agents.sandbox.identity).
SANDBOX_OIDC_CLIENT_ID = "deepcall-dashboard"
SANDBOX_OIDC_CLIENT_SECRET = "sandbox-oidc-secret"  # noqa: S105
