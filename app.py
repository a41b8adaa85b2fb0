"""Rudder — routes only: page config, navigation grouped by role, shared sidebar, run."""

import streamlit as st

st.set_page_config(page_title="Rudder", page_icon="🧭", layout="wide")

navigation = st.navigation(
    {
        "CSM": [
            st.Page(
                "pages/csm/this_week.py", title="This week", icon=":material/today:", default=True
            ),
            st.Page(
                "pages/csm/account.py",
                title="Account",
                icon=":material/business:",
                url_path="account",
            ),
        ],
        "Manager": [
            st.Page("pages/manager/team_cadence.py", title="Team cadence", icon=":material/groups:")
        ],
        "Executive": [
            st.Page(
                "pages/executive/customer_wins.py",
                title="Customer wins",
                icon=":material/emoji_events:",
            )
        ],
        "Library": [
            st.Page(
                "pages/library/insight_library.py",
                title="Insight library",
                icon=":material/menu_book:",
            )
        ],
        "Data & settings": [
            st.Page("pages/admin/data_settings.py", title="Data & settings", icon=":material/tune:")
        ],
    }
)
# Page files live in role folders under pages/ (never directly in pages/), so Streamlit's legacy
# pages-directory routing can never run a page without this router (e.g. a shared deep link).
from pages.shared import ui  # noqa: E402

ui.sidebar()
navigation.run()
