"""Ask your admin: a signed-in email that the roles map does not list sees this, and no data."""

import streamlit as st

from pages.shared import ui

st.title("Ask your Rudder admin")
st.error(
    ui.md(st.session_state.get("access_problem", ""))  # it quotes the email: shown as text
    or "Your account is not on Rudder's list of users yet. Ask your Rudder admin to add you."
)
st.markdown(
    "Rudder shows each person only what their role includes: a CSM their own book, a manager "
    "their team, an executive the customer wins across the base. Your admin adds you to the "
    "roles map with your role, your name as it appears in the account data, and your team."
)
if ui.signed_in() and st.button("Sign out", key="sign_out"):
    st.logout()
