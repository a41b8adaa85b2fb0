"""Sign in: shown to everyone until they have signed in with the team's identity provider."""

import streamlit as st

from pages.shared import ui

st.title("Rudder")
st.markdown(
    "Rudder finds this week's insight for each of your accounts and drafts the message. "
    "Your team's account data is confidential, so sign in with your work account first."
)
if st.button("Sign in", type="primary", key="sign_in"):
    provider = ui.secret("RUDDER_AUTH_PROVIDER")  # only when [auth] names several providers
    if provider:
        st.login(provider)
    else:
        st.login()
