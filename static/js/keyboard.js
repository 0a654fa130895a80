// Keyboard use: the focus survives htmx swaps, and the shortcuts listed in the "?" dialog.
(() => {
  // --- Focus kept across htmx swaps ----------------------------------------------------------
  // A swap that replaces the focused control would drop the focus to the top of the page.
  // Before it, remember how to find that control again (data-focus-key, id, name and value, or
  // href); after it, focus the control again, or the one it names as next (data-focus-next,
  // when it is gone: "Select all matching" gives way to "Enable CAD"), or else the region.
  let pending = null;

  function selectorFor(element) {
    if (element.dataset.focusKey) return `[data-focus-key="${CSS.escape(element.dataset.focusKey)}"]`;
    if (element.id) return `#${CSS.escape(element.id)}`;
    if (element.name && element.value !== undefined) {
      return `[name="${CSS.escape(element.name)}"][value="${CSS.escape(element.value)}"]`;
    }
    const href = element.getAttribute("href");
    return href ? `[href="${CSS.escape(href)}"]` : null;
  }

  function canFocus(element) {
    return element && !element.disabled && element.getClientRects().length > 0;
  }

  function focusLost() {
    const active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    const active = document.activeElement;
    if (!target || !active || active === document.body || !target.contains(active)) return;
    pending = {
      selectors: [selectorFor(active), active.dataset.focusNext].filter(Boolean),
      region: target.id,
    };
  });

  document.addEventListener("htmx:afterSettle", () => {
    if (!pending) return;
    const { selectors, region } = pending;
    pending = null;
    if (!focusLost()) return; // htmx kept it (an element with an id), or the user moved on
    for (const selector of selectors) {
      const element = document.querySelector(selector);
      if (canFocus(element)) {
        element.focus();
        return;
      }
    }
    const fallback = region && document.getElementById(region);
    if (fallback) {
      if (!fallback.hasAttribute("tabindex")) fallback.setAttribute("tabindex", "-1");
      fallback.focus();
    }
  });

  // A skip link moves the focus to its target (a fragment alone leaves it on the link in
  // some browsers), so the next Tab starts there.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.skip-link");
    if (!link) return;
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  });

  // --- Shortcuts ---------------------------------------------------------------------------
  function typing(element) {
    if (!element) return false;
    if (element.isContentEditable) return true;
    if (element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
    if (element.tagName !== "INPUT") return false;
    return !["checkbox", "radio", "button", "submit", "reset"].includes(element.type);
  }

  // Each shortcut says what it did in a polite live region (base.html), as a sighted user sees it.
  function announce(text) {
    const region = document.getElementById("shortcut-announcer");
    if (!region) return;
    // Emptied first, so the same words said twice in a row are read twice.
    region.textContent = "";
    window.setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  // In the capture phase: Bootstrap's own Escape handler on the panel would hide it first.
  document.addEventListener(
    "keydown",
    (event) => {
      if (event.key !== "Escape") return;
      const panel = document.querySelector(".offcanvas.show");
      if (!panel || !window.bootstrap) return;
      window.bootstrap.Offcanvas.getOrCreateInstance(panel).hide();
      announce("Detail panel closed");
    },
    true,
  );

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") return;
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    if (event.key === "/") {
      const search = document.querySelector("[data-shortcut-search]");
      if (!search) return;
      event.preventDefault();
      search.focus();
      search.select();
      announce("Search focused");
    } else if (event.key === "?") {
      const dialog = document.getElementById("shortcuts-dialog");
      if (!dialog || !window.bootstrap || document.querySelector(".modal.show")) return;
      event.preventDefault();
      window.bootstrap.Modal.getOrCreateInstance(dialog).show();
      announce("Keyboard shortcuts opened");
    }
  });
})();
