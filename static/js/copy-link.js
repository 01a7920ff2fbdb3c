// The invitation link the inviter copies (issue 14): a button that copies it, shown only
// where a script runs; the field stays selectable by hand everywhere.
(function () {
  "use strict";
  const source = document.querySelector("[data-copy-source]");
  const button = document.querySelector("[data-copy-button]");
  const done = document.querySelector("[data-copy-done]");
  if (!source || !button) return;
  source.addEventListener("focus", () => source.select());
  button.hidden = false;
  button.addEventListener("click", async () => {
    source.select();
    try {
      // Only on https or localhost; a laptop's LAN address falls back to the old way.
      await navigator.clipboard.writeText(source.value);
    } catch (error) {
      document.execCommand("copy");
    }
    if (done) done.hidden = false;
  });
})();
