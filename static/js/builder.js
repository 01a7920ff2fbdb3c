// The session builder: drag and drop to reorder blocks, and small conveniences around the
// question picker. Listeners sit on `document`, so they keep working after htmx swaps the
// #agenda fragment. The up/down buttons remain the keyboard-accessible way to reorder.
(function () {
  "use strict";

  let dragged = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function blockOf(target) {
    return target instanceof Element ? target.closest("[data-sortable] > [data-block-id]") : null;
  }

  function clearMarks() {
    document.querySelectorAll(".drop-before, .drop-after").forEach((el) => {
      el.classList.remove("drop-before", "drop-after");
    });
  }

  // Dropping on a block places the dragged one after it when moving down, before it when
  // moving up: what the eye expects, and the same wherever on the block it lands.
  function goesAfter(over) {
    const items = Array.from(over.parentElement.children);
    return items.indexOf(dragged) < items.indexOf(over);
  }

  document.addEventListener("dragstart", (event) => {
    const item = blockOf(event.target);
    // Text selection inside inputs and textareas stays a normal drag.
    if (!item || event.target.closest("input, textarea, select, details[open] form")) return;
    dragged = item;
    item.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.blockId);
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const over = blockOf(event.target);
    if (!over || over.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearMarks();
    if (over !== dragged) over.classList.add(goesAfter(over) ? "drop-after" : "drop-before");
  });

  document.addEventListener("drop", (event) => {
    if (!dragged) return;
    const over = blockOf(event.target);
    event.preventDefault();
    clearMarks();
    if (!over || over === dragged || over.parentElement !== dragged.parentElement) return;
    const list = over.parentElement;
    list.insertBefore(dragged, goesAfter(over) ? over.nextElementSibling : over);
    const order = Array.from(list.children)
      .filter((el) => el.dataset.blockId)
      .map((el) => el.dataset.blockId);
    htmx.ajax("POST", list.dataset.reorderUrl, {
      source: list,
      target: "#agenda",
      swap: "outerHTML",
      values: { order: order.join(","), version: list.dataset.version },
      headers: { "X-CSRFToken": csrfToken() },
    });
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    clearMarks();
  });

  // Closing the picker empties it in place instead of reloading the page.
  document.addEventListener("click", (event) => {
    const close = event.target instanceof Element && event.target.closest("[data-close-picker]");
    if (!close) return;
    event.preventDefault();
    const picker = document.getElementById("picker");
    if (picker) {
      picker.classList.remove("card");
      picker.replaceChildren();
    }
  });

  // A question written and added clears its form; a refused one keeps the text to fix.
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-reset-on-success")) return;
    if (event.detail.successful && !document.getElementById("agenda-error")) form.reset();
  });

  // htmx puts the focus back on the element with the same id after a swap, but a block
  // moved to the top or bottom has its up or down button disabled: focus the other one so a
  // keyboard user does not lose their place.
  let focusedId = "";
  document.addEventListener("htmx:beforeSwap", () => {
    focusedId = document.activeElement ? document.activeElement.id : "";
  });
  document.addEventListener("htmx:afterSettle", () => {
    const match = /^(up|down)-(\d+)$/.exec(focusedId);
    focusedId = "";
    if (!match) return;
    const button = document.getElementById(match[0]);
    if (button && button.disabled) {
      const other = document.getElementById(`${match[1] === "up" ? "down" : "up"}-${match[2]}`);
      if (other && !other.disabled) other.focus();
    }
  });

  // The picker opens beside the agenda on a laptop and below it on a phone: bring it into
  // view and put the focus on its search box.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "picker") {
      const search = document.getElementById("picker-q");
      const picker = document.getElementById("picker");
      if (picker) picker.scrollIntoView({ block: "nearest" });
      if (search) search.focus({ preventScroll: true });
    }
  });
})();
