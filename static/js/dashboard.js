// Our own behaviour, loaded with a CSP nonce. No inline scripts anywhere.
document.addEventListener("htmx:beforeRequest", () => document.body.classList.add("htmx-request"));
document.addEventListener("htmx:afterRequest", () => document.body.classList.remove("htmx-request"));
