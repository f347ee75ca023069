// Security section form: show only the stores of the chosen provider, and the path field for PEM.
// Progressive enhancement: without this file every store is listed and the server checks the choice.
(function () {
  "use strict";
  document.querySelectorAll("form[data-section-form]").forEach(function (form) {
    var provider = form.querySelector("select[data-provider-select]");
    var store = form.querySelector("select[data-store-select]");
    var path = form.querySelector("input[name='typed_path']");
    if (!provider || !store) {
      return;
    }
    function group(field) {
      return field ? field.closest(".mb-3") || field.parentElement : null;
    }
    function update() {
      var chosen = provider.value;
      Array.prototype.forEach.call(store.options, function (option) {
        var other = option.value !== "" && option.getAttribute("data-provider") !== chosen;
        option.hidden = other;
        option.disabled = other;
        if (other && option.selected) {
          store.value = "";
        }
      });
      var storeGroup = group(store);
      if (storeGroup) {
        storeGroup.classList.toggle("d-none", chosen === "");
      }
      var pathGroup = group(path);
      if (pathGroup) {
        // Hidden and not submitted: a path typed for PEM would be refused for the other providers.
        pathGroup.classList.toggle("d-none", chosen !== "PEM");
        path.disabled = chosen !== "PEM";
      }
    }
    provider.addEventListener("change", update);
    update();
  });
})();
