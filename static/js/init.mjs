import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();

// A table wider than the screen scrolls in its container (.portal-table-container). Such a box
// must be reachable by keyboard and named for screen readers (WCAG 2.1.1, 4.1.2); one that fits
// stays out of the tab order.
function labelScrollingTables() {
  for (const box of document.querySelectorAll(".portal-table-container")) {
    const table = box.querySelector("table");
    if (box.scrollWidth > box.clientWidth) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      const caption = table?.caption?.textContent?.trim() || box.dataset.label || "Table";
      box.setAttribute("aria-label", `${caption} (scrolls sideways)`);
    } else {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }
}

labelScrollingTables();
window.addEventListener("resize", labelScrollingTables);
