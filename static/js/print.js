// Buttons marked data-print open the browser's print dialog. Without JavaScript they stay
// hidden and the browser's own Print command does the same job.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
