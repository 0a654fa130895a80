// Our own behaviour, loaded with a CSP nonce. No inline scripts anywhere.
document.addEventListener("htmx:beforeRequest", () => document.body.classList.add("htmx-request"));
document.addEventListener("htmx:afterRequest", () => document.body.classList.remove("htmx-request"));

// --- Agent directory: open the detail side panel when htmx fills it; "select page" box.
(() => {
  let directoryUrl = null;
  let opener = null;
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.target && event.detail.target.id === "agent-detail-body") {
      directoryUrl = window.location.href;
      opener = event.detail.elt;
    }
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "agent-detail-body" || !window.bootstrap) return;
    const panel = document.getElementById("agent-detail-panel");
    window.bootstrap.Offcanvas.getOrCreateInstance(panel).show();
  });
  document.addEventListener("hidden.bs.offcanvas", (event) => {
    if (event.target.id !== "agent-detail-panel") return;
    // Closing the panel returns to the directory's own URL (the one it was opened from). The
    // directory is still on the page: htmx need not fetch it again (that would also drop the
    // focus), so its history handler sits this one step out.
    if (directoryUrl && window.location.href !== directoryUrl) {
      const htmxPopstate = window.onpopstate;
      window.onpopstate = () => {
        window.onpopstate = htmxPopstate;
      };
      window.history.back();
    }
    directoryUrl = null;
    // The focus goes back to the agent's link in the table, not to the top of the page.
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });
  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.classList || !box.classList.contains("js-select-page")) return;
    const table = box.closest("table");
    if (!table) return;
    table.querySelectorAll('tbody input[type="checkbox"][name="agent_id"]').forEach((row) => {
      if (row.checked !== box.checked) {
        row.checked = box.checked;
        row.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });
})();
