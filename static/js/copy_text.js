// Copy buttons: <button data-copy-text="JSON string"> copies that text: exactly the file's text,
// line endings included, which a <pre> would not keep (HTML turns CR LF into LF; JSON writes a CR as
// the two characters \r). The buttons are hidden until this file shows them; without it the page
// offers the text and a download.
(function () {
  "use strict";
  function copyWithEvent(text) {
    // Browsers without the Clipboard API (a page not served over HTTPS): the copy event's data.
    var done = false;
    function onCopy(event) {
      event.clipboardData.setData("text/plain", text);
      event.preventDefault();
      done = true;
    }
    document.addEventListener("copy", onCopy);
    try {
      document.execCommand("copy");
    } finally {
      document.removeEventListener("copy", onCopy);
    }
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return copyWithEvent(text); });
    }
    return copyWithEvent(text);
  }

  document.querySelectorAll("button[data-copy-text]").forEach(function (button) {
    var text = JSON.parse(button.getAttribute("data-copy-text"));
    var label = button.textContent;
    var status = button.parentElement.querySelector("[data-copy-status]");
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(text).then(function () {
        button.textContent = "Copied";
        if (status) {
          status.textContent = "Copied to the clipboard.";
        }
      }, function () {
        button.textContent = label;
        if (status) {
          status.textContent = "The browser refused to copy: select the text and copy it.";
        }
      });
      window.setTimeout(function () { button.textContent = label; }, 2000);
    });
  });
})();
