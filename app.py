"""Rudder — routes only: page config, who is using it, their role's pages, shared sidebar, run."""

import logging

import streamlit as st

from insight_engine import RudderError
from insight_engine.access import UnknownUserError, exposed_without_sign_in

st.set_page_config(page_title="Rudder", page_icon="🧭", layout="wide")

# Page files live in role folders under pages/ (never directly in pages/), so Streamlit's legacy
# pages-directory routing can never run a page without this router (e.g. a shared deep link).
from pages.shared import ui  # noqa: E402

# Every page, under its navigation group, by the area of Rudder it belongs to (access.AREAS says
# which roles may open each area). A role's navigation lists only its pages, so a URL to any
# other page is "not found"; each page checks again with ui.require().
PAGES = {
    "this_week": ("CSM", "pages/csm/this_week.py", "This week", ":material/today:", None),
    "account": ("CSM", "pages/csm/account.py", "Account", ":material/business:", "account"),
    "team_cadence": (
        "Manager",
        "pages/manager/team_cadence.py",
        "Team cadence",
        ":material/groups:",
        None,
    ),
    "customer_wins": (
        "Executive",
        "pages/executive/customer_wins.py",
        "Customer wins",
        ":material/emoji_events:",
        None,
    ),
    "library": (
        "Library",
        "pages/library/insight_library.py",
        "Insight library",
        ":material/menu_book:",
        None,
    ),
    "data_settings": (
        "Data & settings",
        "pages/admin/data_settings.py",
        "Data & settings",
        ":material/tune:",
        None,
    ),
}

if exposed_without_sign_in(
    st.get_option("server.address"), auth_configured=ui.auth_configured()
):  # local mode makes everyone an admin: never on a network
    st.title("Rudder needs sign-in to be served on a network", anchor=False)
    st.error(
        "This server listens beyond this machine, and sign-in is not configured, so anyone who "
        "could reach it would be an admin. Add an [auth] section to .streamlit/secrets.toml "
        "(README: Deploying for a team), or serve Rudder on 127.0.0.1 only."
    )
    st.stop()

try:
    viewer = ui.viewer()
except UnknownUserError as exc:  # signed in, but not on the roles map
    st.session_state["access_problem"] = str(exc)
    viewer = False
except RudderError as exc:  # a broken roles map or secrets file: the details (other people's
    logging.getLogger("rudder").error("%s", exc)  # emails) go to the server log, not the visitor
    st.session_state["access_problem"] = (
        "Rudder's sign-in settings (the roles map in secrets) have a mistake in them, so nobody "
        "can be let in until it is fixed. Ask your Rudder admin; the server log says what."
    )
    viewer = False

if viewer is None:
    groups = {"": [st.Page("pages/access/sign_in.py", title="Sign in", icon=":material/login:")]}
elif viewer is False:
    groups = {
        "": [st.Page("pages/access/ask_admin.py", title="Ask your admin", icon=":material/lock:")]
    }
else:
    groups = {}
    for area, (group, path, title, icon, url_path) in PAGES.items():
        if viewer.may_open(area):
            page = st.Page(
                path, title=title, icon=icon, **({"url_path": url_path} if url_path else {})
            )
            groups.setdefault(group, []).append(page)

navigation = st.navigation(groups)
if viewer:
    ui.sidebar()
navigation.run()
