// Filter forms: the group list becomes a searchable multi-select (Tom Select, from npm), and on
// small screens the form folds behind its "Filters (n)" summary. Without JavaScript both stay
// a plain multi-select and an open form.
(() => {
  const SMALL = window.matchMedia("(max-width: 991.98px)");

  function searchable(select) {
    if (!window.TomSelect || select.tomselect) return;
    // The plain list's own label names the new control (Tom Select points it there).
    new window.TomSelect(select, {
      plugins: { remove_button: { title: "Remove this group" } },
      maxOptions: null,
      hidePlaceholder: true,
      placeholder: "Type to find a group",
      closeAfterSelect: false,
      onItemAdd() {
        this.setTextboxValue("");
        this.refreshOptions(false);
      },
    });
    // The original list stays in the form for submitting, out of reach of keyboard and
    // screen readers: the combobox above speaks for it.
    select.setAttribute("aria-hidden", "true");
  }

  function activeCount(form) {
    const names = (form.dataset.filterNames || "").split(" ").filter(Boolean);
    const data = new FormData(form);
    return names.filter((name) => data.getAll(name).some((value) => value.trim() !== "")).length;
  }

  function showCount(form) {
    const details = form.closest("details.filter-toggle");
    const count = details && details.querySelector(".filter-count");
    if (!count) return;
    const n = activeCount(form);
    count.textContent = n ? ` (${n})` : "";
  }

  function setUp(root) {
    root.querySelectorAll("form.filter-form").forEach((form) => {
      form.querySelectorAll("select[multiple]").forEach(searchable);
      const details = form.closest("details.filter-toggle");
      if (details && !details.dataset.ready) {
        details.dataset.ready = "1";
        details.open = !SMALL.matches;
      }
      showCount(form);
    });
  }

  document.addEventListener("change", (event) => {
    const form = event.target.closest && event.target.closest("form.filter-form");
    if (form) showCount(form);
  });
  document.addEventListener("input", (event) => {
    const form = event.target.closest && event.target.closest("form.filter-form");
    if (form) showCount(form);
  });
  // Wide again: the summary is hidden there, so the form must not stay folded.
  SMALL.addEventListener("change", () => {
    document.querySelectorAll("details.filter-toggle").forEach((details) => {
      details.open = !SMALL.matches;
    });
  });
  document.addEventListener("htmx:load", (event) => setUp(event.detail.elt));
})();
