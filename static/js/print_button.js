// A "Print" button (data-print): the browser's print dialog, with the page's print stylesheet.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
