// Bulk CAD selection: ticking rows updates the selection kept on the server, a few ids per
// request (changes made within 50 ms, e.g. "Select all on this page", go as one request).
(() => {
  const ROW_BOX = 'input[type="checkbox"][name="agent_id"][form="bulk-form"]';
  let added = new Set();
  let removed = new Set();
  let timer = null;

  // Every selection request leaves from one element that no swap replaces, whose hx-sync
  // ("this:queue all") sends them one at a time, in the order they were made: "Select all on
  // this page" then "Select all N matching" at once can never end with the page's answer last.
  function send(values) {
    const form = document.getElementById("bulk-form");
    const sync = document.getElementById("selection-sync");
    if (!form || !sync || !window.htmx) return;
    values.query = form.querySelector('input[name="query"]').value;
    window.htmx.ajax("POST", sync.dataset.selectionUrl, { source: sync, values });
  }

  function flush() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!added.size && !removed.size) return;
    // Ids are opaque (a comma may be part of one): lists travel as JSON, never joined.
    const values = { op: "update", add: JSON.stringify([...added]), remove: JSON.stringify([...removed]) };
    added = new Set();
    removed = new Set();
    send(values);
  }

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches(ROW_BOX)) return;
    (box.checked ? added : removed).add(box.value);
    (box.checked ? removed : added).delete(box.value);
    if (!timer) timer = setTimeout(flush, 50);
  });

  // "Select all matching" and "Clear selection": ticks not yet sent go first.
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-selection-op]");
    if (!button) return;
    flush();
    send({ op: button.dataset.selectionOp });
  });

  // Those two change rows beyond this page: redraw the table, after any change still queued.
  document.addEventListener("cad-selection-changed", () => {
    const sync = document.getElementById("selection-sync");
    if (document.getElementById("agent-table-region") && sync && window.htmx) {
      // The region's content, not the region: the source's own hx-swap (outerHTML) is the bar's.
      window.htmx.ajax("GET", window.location.href, {
        source: sync,
        target: "#agent-table-region",
        swap: "innerHTML",
      });
    }
  });

  // A confirmation button is pressed once: the second click of a double click does nothing.
  document.addEventListener("submit", (event) => {
    const button = event.target.querySelector("[data-disable-on-submit]");
    if (button) setTimeout(() => { button.disabled = true; }, 0);
  });
})();
