// Messages where they are seen. A file, so the CSP can forbid inline script; without script,
// messages stay at the top of the page.
//
// - A confirmation ("Heel raise moved down.") shows where the page opens, not at the top of a
//   long page out of sight. After a change the week opens at the item or the day it was about
//   (an address ending in #item-12 or #day-mon): the message is moved there, under its
//   heading, and given the focus, which brings it into view and has a screen reader read it.
// - After a swap the week opens at the banner that offers to undo it: it takes the focus.
// - A long form that did not save opens again at the top: its summary of what to fix
//   (includes/error_summary.html) takes the focus, so it is read out.
//
// On "load", not before: Chromium takes the focus back when it goes to the #place.
window.addEventListener("load", function () {
  var main = document.getElementById("main");
  if (!main) {
    return;
  }
  var summary = main.querySelector(".error-summary");
  if (summary) {
    summary.tabIndex = -1;
    takeFocus(summary);
    return;
  }
  var box = main.querySelector(":scope > .messages");
  var id = "";
  try {
    id = decodeURIComponent(window.location.hash.slice(1));
  } catch (malformed) {
    return; // an address typed or cut short by hand: leave the message at the top
  }
  var target = id && document.getElementById(id);
  if (!target || target === main || !main.contains(target)) {
    return;
  }
  if (!box) {
    // The place is itself the message (the swap's banner, with its Undo): read it out.
    if (target.getAttribute("role") === "status") {
      target.tabIndex = -1;
      takeFocus(target);
    }
    return;
  }
  // The heading that names the place (an item's is an h3 on the week, an h4 on the
  // clinic's pages), else its first.
  var label = target.getAttribute("aria-labelledby");
  var named = label && document.getElementById(label);
  var heading =
    named && target.contains(named) ? named : target.querySelector("h2, h3, h4");
  if (heading) {
    heading.after(box);
  } else {
    target.before(box);
  }
  box.classList.add("messages-moved");
  box.tabIndex = -1;
  takeFocus(box);
});

// Unless someone has already moved on to a control (the page's pictures can keep "load"
// waiting): then the message is in place, and their focus stays where they put it.
function takeFocus(element) {
  var active = document.activeElement;
  if (!active || active === document.body || active === document.documentElement) {
    element.focus();
  }
}
