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

// GOV.UK Frontend's Radios script marks a radio that reveals a follow-up question with
// aria-expanded (alphagov/govuk-frontend#979). ARIA does not allow that attribute on a radio, and
// audits (axe `aria-allowed-attr`, critical) fail the page for it. The revealed question stays
// tied to its radio by aria-controls and follows it in reading order, so the attribute is taken
// off each time the script sets it.
const noExpandedOnRadios = new MutationObserver((changes) => {
  for (const change of changes) {
    if (change.target.hasAttribute("aria-expanded")) change.target.removeAttribute("aria-expanded");
  }
});
for (const radio of document.querySelectorAll(".govuk-radios__input[aria-controls]")) {
  radio.removeAttribute("aria-expanded");
  noExpandedOnRadios.observe(radio, { attributes: true, attributeFilter: ["aria-expanded"] });
}
