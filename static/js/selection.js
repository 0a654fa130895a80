// Bulk CAD selection: ticking rows updates the selection kept on the server, a few ids per
// request (changes made within 50 ms, e.g. "Select all on this page", go as one request).
(() => {
  const ROW_BOX = 'input[type="checkbox"][name="agent_id"][form="bulk-form"]';
  let added = new Set();
  let removed = new Set();
  let timer = null;

  function flush() {
    timer = null;
    const form = document.getElementById("bulk-form");
    if (!form || !window.htmx) return;
    const values = {
      op: "update",
      add: [...added].join(","),
      remove: [...removed].join(","),
      query: form.querySelector('input[name="query"]').value,
    };
    added = new Set();
    removed = new Set();
    window.htmx.ajax("POST", form.dataset.selectionUrl, { target: "#bulk-bar", swap: "outerHTML", values });
  }

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches(ROW_BOX)) return;
    (box.checked ? added : removed).add(box.value);
    (box.checked ? removed : added).delete(box.value);
    if (!timer) timer = setTimeout(flush, 50);
  });

  // "Select all matching" and "Clear selection" change rows beyond this page: redraw the table.
  document.addEventListener("cad-selection-changed", () => {
    if (document.getElementById("agent-table-region") && window.htmx) {
      window.htmx.ajax("GET", window.location.href, { target: "#agent-table-region" });
    }
  });

  // A confirmation button is pressed once: the second click of a double click does nothing.
  document.addEventListener("submit", (event) => {
    const button = event.target.querySelector("[data-disable-on-submit]");
    if (button) setTimeout(() => { button.disabled = true; }, 0);
  });
})();
