"""Two small in-page helpers (Streamlit's components v2: rendered in the page, no iframe).

A copy button that copies what is in a text box *now* (typed text not yet sent to Python).

``st.text_area`` commits its value only on blur or Ctrl+Enter, and ``st.code``'s copy button copies
the last rendered value, so both miss text typed a moment ago. This tiny component (Streamlit's
components v2: rendered in the page, no iframe) reads the textarea's current DOM value by its
label and writes it with ``navigator.clipboard.writeText``. Registered once, on import.

Enter that applies a typed date: ``st.date_input``'s field commits a typed date only when the
pointer goes down outside it (Enter did nothing, and a script's blur() is ignored), so a typed
as-of date waited for a click elsewhere. :func:`enter_applies_dates` listens for Enter in any date
field of the page and gives the field that outside press.
"""

from __future__ import annotations

import streamlit as st

_JS = """
export default function (component) {
  const { data, parentElement } = component;
  const button = parentElement.querySelector("button");
  const said = parentElement.querySelector(".said");
  button.textContent = data.label;
  button.setAttribute("aria-label", data.label);
  button.onclick = async () => {
    const selector = `textarea[aria-label="${CSS.escape(data.target)}"]`;
    const box = document.querySelector(selector);
    if (!box) { said.textContent = "Nothing to copy"; return; }
    try {
      await navigator.clipboard.writeText(box.value);
    } catch (err) {
      box.focus(); box.select(); document.execCommand("copy");
    }
    button.textContent = "Copied";  // said on the button itself: the row stays narrow
    said.textContent = "Copied";  // for screen readers (visually hidden)
    setTimeout(() => { button.textContent = data.label; said.textContent = ""; }, 2500);
  };
}
"""
_CSS = """
button { font: inherit; font-size: 0.875rem; padding: 0.3rem 0.8rem; border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.3); background: white; color: rgb(49, 51, 63);
  cursor: pointer; }
button:hover { border-color: #1f6f8b; color: #1f6f8b; }  /* the theme's primary (.streamlit/config.toml): red read as an error */
.said { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
"""

_copy = st.components.v2.component(
    "rudder_copy_box",
    html='<div><button type="button"></button><span class="said" aria-live="polite"></span></div>',
    css=_CSS,
    js=_JS,
)


def copy_button(target_label: str, *, label: str, key: str, width: int | str = 140) -> None:
    """A button copying the current text of the textarea labelled ``target_label``; it reads
    "Copied" for a moment after (``width`` fits either, so it sits in a row with other things)."""
    _copy(data={"target": target_label, "label": label}, key=key, height=40, width=width)


_ENTER_JS = """
export default function () {
  if (window.__rudderEnterAppliesDates) return;  // one listener for the page, however many runs
  window.__rudderEnterAppliesDates = true;
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || !ev.target || !ev.target.closest) return;
    const field = ev.target.closest('[data-testid="stDateInputField"]');
    if (!field) return;  // the calendar's own Enter already picks a date
    const outside = document.querySelector("main") || document.body;
    outside.dispatchEvent(new PointerEvent("pointerdown", { bubbles: true }));
  }, true);
}
"""

_enter = st.components.v2.component(
    "rudder_enter_applies_dates", html="<span hidden></span>", js=_ENTER_JS
)


def enter_applies_dates() -> None:
    """Enter in a date field applies the date typed (once a page; draws nothing)."""
    _enter(key="enter-applies-dates", height=0)
