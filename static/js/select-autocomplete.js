/* Type-ahead for a long <select> (the create-package ward list has over 200 wards; a national
 * market's provider lists, thousands of providers), using GOV.UK's
 * accessible-autocomplete (static/accessible-autocomplete/, MIT licence).
 *
 * Progressive enhancement: a page marks a select with `data-portal-autocomplete` and loads this file
 * after the library. Without JavaScript, on a browser GOV.UK Frontend does not support, or if the
 * library failed to load, the plain select stays and works. No inline script: the CSP allows
 * same-origin files only.
 */
(function () {
  "use strict";

  var library = window.accessibleAutocomplete;
  if (!library || !document.body.classList.contains("govuk-frontend-supported")) {
    return;
  }

  function optionText(option) {
    return (option.textContent || "").trim();
  }

  /* The input must keep the hint and error the select was described by (WCAG 1.3.1), beside the
   * library's own assistive hint, which it adds and removes as the user types. */
  function keepDescribedBy(input, ids) {
    if (!ids) {
      return;
    }
    function merge() {
      var current = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      var missing = ids.split(" ").filter(function (id) {
        return id && current.indexOf(id) === -1;
      });
      if (missing.length) {
        input.setAttribute("aria-describedby", current.concat(missing).join(" "));
      }
    }
    merge();
    new MutationObserver(merge).observe(input, {
      attributes: true,
      attributeFilter: ["aria-describedby"],
    });
  }

  /* The grey completion the library draws behind the text is a second, unlabelled <input>: hide it
   * from assistive technology, which hears the completion from the listbox already (axe "label"). */
  function hideCompletion(wrapper) {
    function hide() {
      wrapper.querySelectorAll(".autocomplete__hint:not([aria-hidden])").forEach(function (hint) {
        hint.setAttribute("aria-hidden", "true");
      });
    }
    hide();
    new MutationObserver(hide).observe(wrapper, { childList: true, subtree: true });
  }

  /* What is in the box when the form is sent decides the select's value: an exact name picks that
   * ward; anything else (a cleared box, text that matches no ward) sends none, so the page says
   * "Choose the ward" instead of keeping an earlier choice the user can no longer see. */
  function syncOnSubmit(select, input) {
    if (!select.form) {
      return;
    }
    select.form.addEventListener("submit", function () {
      var typed = input.value.trim();
      var match = Array.prototype.find.call(select.options, function (option) {
        return option.value && optionText(option) === typed;
      });
      select.value = match ? match.value : "";
    });
  }

  document.querySelectorAll("select[data-portal-autocomplete]").forEach(function (select) {
    var id = select.id;
    var describedBy = select.getAttribute("aria-describedby");
    var hasError = select.classList.contains("govuk-select--error");
    library.enhanceSelectElement({
      selectElement: select,
      defaultValue: "", // not the empty option's "Choose a ward" as if it were typed
      showNoOptionsFound: true,
      inputClasses: hasError ? "portal-autocomplete__input--error" : null,
      hintClasses: "", // the grey completion behind the text needs no error border
      tNoResults: function () {
        // what the select chooses, as the page marks it: "No ward matches", "No provider matches"
        return "No " + (select.getAttribute("data-portal-autocomplete") || "option") + " matches";
      },
    });
    var input = document.getElementById(id); // the library gives its input the select's id
    if (input && input !== select) {
      hideCompletion(input.closest(".autocomplete__wrapper"));
      keepDescribedBy(input, describedBy);
      syncOnSubmit(select, input);
    }
  });
})();
