// "Copy link" buttons for share links. Without JavaScript (or clipboard
// access) the button stays hidden and the link can be copied by hand.
(function () {
  "use strict";
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    const field = document.getElementById(button.dataset.copy);
    const status = button.closest(".share").querySelector("[data-copy-status]");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () { status.textContent = "Link copied."; },
        function () { field.select(); status.textContent = "Press Ctrl+C (or Cmd+C) to copy the selected link."; }
      );
    });
  });
})();
