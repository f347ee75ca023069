// Validation sweep page: polls the sweep's status and updates the progress; reloads when done.
// Without JavaScript the page offers a Refresh link instead.
(function () {
  "use strict";
  var box = document.getElementById("sweep-progress");
  if (!box || box.getAttribute("data-finished") === "true") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var hint = box.querySelector("[data-refresh-hint]");
  if (hint) {
    hint.textContent = "This page updates itself every second.";
  }
  function show(name, value) {
    var field = box.querySelector('[data-field="' + name + '"]');
    if (field) {
      field.textContent = value;
    }
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        show("status", data.status);
        show("done", data.done);
        show("total", data.total);
        show("percent", data.percent);
        if (bar) {
          bar.value = data.percent;
        }
        if (data.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1000);
})();
