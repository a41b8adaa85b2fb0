"""Rudder — routes only: page config, navigation grouped by role, shared sidebar, run."""

import streamlit as st

from pages import ui

st.set_page_config(page_title="Rudder", page_icon="🧭", layout="wide")

navigation = st.navigation(
    {
        "CSM": [
            st.Page("pages/this_week.py", title="This week", icon=":material/today:", default=True),
            st.Page(
                "pages/account.py", title="Account", icon=":material/business:", url_path="account"
            ),
        ],
        "Manager": [
            st.Page("pages/team_cadence.py", title="Team cadence", icon=":material/groups:")
        ],
        "Executive": [
            st.Page("pages/customer_wins.py", title="Customer wins", icon=":material/emoji_events:")
        ],
        "Library": [
            st.Page("pages/library.py", title="Insight library", icon=":material/menu_book:")
        ],
        "Data & settings": [
            st.Page("pages/data_settings.py", title="Data & settings", icon=":material/tune:")
        ],
    }
)
ui.sidebar()
navigation.run()
