"""Sign-in and roles: the roles map, what each role may see, and the app enforcing it."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from insight_engine.access import (
    AREAS,
    ROLES,
    RolesMap,
    RolesMapError,
    UnknownUserError,
    Viewer,
    local_viewer,
)
from insight_engine.outputs.export import inert_markdown
from tests.conftest import ROOT
from tests.helpers import open_app

APP = str(ROOT / "app.py")

ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["A1", "A2", "A3", "A4", "A5"],
        "csm": ["Priya Shah", "Priya Shah", "Tom Bennett", "Kenji Walsh", "Nobody Yet"],
        "manager": ["Ruth Dubois", "Ruth Dubois", "Theo Silva", "Theo Silva", None],
    }
)

ROLES_MAP = {
    "priya@example.com": {"role": "csm", "csm": "Priya Shah", "team": "Ruth Dubois"},
    "Tom@Example.com": {"role": "csm", "csm": "Tom Bennett", "team": "Theo Silva"},
    "ruth@example.com": {"role": "manager", "team": "Ruth Dubois"},
    "exec@example.com": {"role": "executive"},
    "admin@example.com": {"role": "admin"},
}


# ---------------------------------------------------------------------------------------------
# The roles map and what each viewer sees (pure functions)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"role": "boss"}, "is not one of csm, manager, executive, admin"),
        ({"role": "csm"}, "a csm needs csm ="),
        ({"role": "manager"}, "a manager needs team ="),
        ("csm", "must be a table"),
    ],
)
def test_a_bad_roles_map_entry_is_named_with_its_fix(entry, message):
    with pytest.raises(RolesMapError) as err:
        RolesMap.from_mapping({"x@example.com": entry})
    assert 'roles."x@example.com"' in str(err.value) and message in str(err.value)
    assert "secrets.toml" in str(err.value)


def test_emails_match_without_regard_to_case_and_unknown_ones_are_refused():
    roles = RolesMap.from_mapping(ROLES_MAP)
    assert roles.viewer_for(" tom@EXAMPLE.com").csm == "Tom Bennett"
    for email in ("stranger@example.com", "", None):
        with pytest.raises(UnknownUserError, match="Ask your Rudder admin"):
            roles.viewer_for(email)


@pytest.mark.parametrize(
    ("email", "visible"),
    [
        ("priya@example.com", ["A1", "A2"]),
        ("tom@example.com", ["A3"]),
        ("ruth@example.com", ["A1", "A2"]),
        ("exec@example.com", []),  # aggregates only: no single account
        ("admin@example.com", ["A1", "A2", "A3", "A4", "A5"]),
    ],
)
def test_each_role_sees_exactly_its_accounts(email, visible):
    who = RolesMap.from_mapping(ROLES_MAP).viewer_for(email)
    assert ACCOUNTS.loc[who.visible_accounts(ACCOUNTS), "account_id"].tolist() == visible
    for account in ACCOUNTS["account_id"]:
        assert who.may_see_account(ACCOUNTS, account) == (account in visible)


def test_a_team_without_a_manager_column_comes_from_the_roles_map():
    roles = RolesMap.from_mapping(ROLES_MAP)
    ruth = roles.viewer_for("ruth@example.com")
    assert ruth.team_csms == ("Priya Shah",)
    no_manager = ACCOUNTS.drop(columns="manager")
    assert no_manager.loc[ruth.visible_accounts(no_manager), "account_id"].tolist() == ["A1", "A2"]


@pytest.mark.parametrize(
    ("email", "library"),
    [
        ("priya@example.com", ["A1", "A2"]),
        ("tom@example.com", ["A3", "A4"]),  # Theo Silva's team's accounts
        ("admin@example.com", ["A1", "A2", "A3", "A4", "A5"]),
    ],
)
def test_the_library_is_the_teams_accounts(email, library):
    who = RolesMap.from_mapping(ROLES_MAP).viewer_for(email)
    assert ACCOUNTS.loc[who.library_accounts(ACCOUNTS), "account_id"].tolist() == library


def test_a_moved_account_leaves_the_old_teams_views():
    """Scope follows who owns an account now, not the name saved on old insights."""
    moved = ACCOUNTS.assign(manager=["Theo Silva", *ACCOUNTS["manager"].iloc[1:]])
    roles = RolesMap.from_mapping(ROLES_MAP)
    ruth, tom = roles.viewer_for("ruth@example.com"), roles.viewer_for("tom@example.com")
    assert moved.loc[ruth.visible_accounts(moved), "account_id"].tolist() == ["A1", "A2"]
    assert "A1" in moved.loc[tom.library_accounts(moved), "account_id"].tolist()
    theo = Viewer("theo@example.com", "manager", team="Theo Silva")
    assert moved.loc[theo.visible_accounts(moved), "account_id"].tolist() == ["A1", "A3", "A4"]


@pytest.mark.parametrize("role", ROLES)
def test_roles_open_their_areas_and_no_others(role):
    who = local_viewer(role)
    opened = {area for area in AREAS if who.may_open(area)}
    expected = {
        "csm": {"this_week", "account", "library"},
        "manager": {"this_week", "account", "team_cadence", "library"},
        "executive": {"customer_wins"},
        "admin": set(AREAS),
    }[role]
    assert opened == expected
    assert ("data_settings" in opened) == (role == "admin")


def test_scope_keys_differ_by_what_a_person_may_see():
    keys = {Viewer("a", "csm", csm="Priya Shah").scope_key, Viewer("b", "csm", csm="Tom").scope_key}
    keys |= {Viewer("c", "manager", team="Ruth Dubois").scope_key, local_viewer().scope_key}
    assert len(keys) == 4


def test_every_area_has_a_page_and_every_role_is_documented():
    import ast

    tree = ast.parse((ROOT / "app.py").read_text())
    pages = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES"
    )
    assert {k.value for k in pages.keys} == set(AREAS)
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deploying for a team", 1)[1].split("\n## ", 1)[0]
    for role in ROLES:
        assert f"`{role}`" in section, f"role {role} is not documented in Deploying for a team"
    for key in ("[auth]", "[roles.", "RUDDER_DB_URL", "showErrorDetails", "maxUploadSize"):
        assert key in section, f"{key} is not documented in Deploying for a team"


# ---------------------------------------------------------------------------------------------
# The app, signed in as each role (AppTest's user and secrets)

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "rudder-test",
    "client_secret": "never-shown",
    "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
}
DEMO_ROLES = ROLES_MAP  # the demo book's people (emails match whatever their case)


@pytest.fixture(scope="module")
def demo_accounts():
    from insight_engine.book.loader import ensure_demo

    return pd.read_csv(ensure_demo() / "accounts.csv")


def _as(email: str | None, page: str | None = None, **query) -> AppTest:
    user = {"email": email, "is_logged_in": True} if email else {"is_logged_in": False}
    return open_app(page, secrets={"auth": AUTH, "roles": DEMO_ROLES}, user=user, **query)


def _shown_text(at: AppTest) -> str:
    parts = [
        e.value for kind in ("markdown", "caption", "title", "error", "info") for e in at.get(kind)
    ]
    parts += [df.value.to_csv() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_without_signing_in_there_is_a_sign_in_page_and_no_data():
    at = _as(None)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.metric
    assert "A-0" not in _shown_text(at)


def test_an_unknown_email_gets_ask_your_admin_and_no_data():
    at = _as("stranger@example.com")
    assert at.title[0].value == "Ask your Rudder admin"
    assert inert_markdown("stranger@example.com") in at.error[0].value
    assert "roles map" in at.error[0].value
    assert not at.dataframe and not at.metric and not at.sidebar.selectbox


def test_a_csm_sees_only_their_own_book(demo_accounts):
    at = _as("priya@example.com")
    assert at.selectbox(key="csm").options == ["Priya Shah"]
    shown = at.dataframe[0].value
    ids = shown["open"].str.split("account=").str[1]
    theirs = set(demo_accounts.loc[demo_accounts["csm"] == "Priya Shah", "account_id"])
    assert len(ids) and set(ids) <= theirs
    assert "Signed in as" in " ".join(c.value for c in at.sidebar.caption)


def test_a_csm_cannot_open_another_csms_account_by_url(demo_accounts):
    other = demo_accounts.loc[demo_accounts["csm"] == "Tom Bennett"].iloc[0]
    at = _as("priya@example.com", "pages/csm/account.py", account=other["account_id"])
    assert at.error and "not an account in your book" in at.error[0].value
    assert other["account_name"] not in _shown_text(at)
    # the same words for an id that exists nowhere: the page tells no one which ids exist
    nowhere = _as("priya@example.com", "pages/csm/account.py", account="A-99999")
    assert [e.value for e in nowhere.error] == [
        e.value.replace(inert_markdown(other["account_id"]), inert_markdown("A-99999"))
        for e in at.error
    ]
    assert not [t for t in at.text_area if t.key and t.key.startswith("draft-")]
    own = demo_accounts.loc[demo_accounts["csm"] == "Priya Shah"].iloc[0]
    at = _as("priya@example.com", "pages/csm/account.py", account=own["account_id"])
    assert not at.error and at.selectbox(key="account_pick").value == own["account_id"]
    offered = {o.rsplit("(", 1)[1].rstrip(")") for o in at.selectbox(key="account_pick").options}
    assert offered == set(demo_accounts.loc[demo_accounts["csm"] == "Priya Shah", "account_id"])


@pytest.mark.parametrize(
    ("email", "page"),
    [
        ("priya@example.com", "pages/manager/team_cadence.py"),
        ("priya@example.com", "pages/admin/data_settings.py"),
        ("ruth@example.com", "pages/admin/data_settings.py"),
        ("exec@example.com", "pages/csm/this_week.py"),
        ("exec@example.com", "pages/admin/data_settings.py"),
    ],
)
def test_a_page_outside_the_role_cannot_be_opened(email, page):
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.secrets["roles"] = DEMO_ROLES
    at.user = {"email": email, "is_logged_in": True}
    at.run()
    # Not in this role's navigation, so not a page at all for them (a URL to it is "not found").
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)
    # and the page file itself refuses a role it does not include, should it ever be reached
    area = {
        "pages/manager/team_cadence.py": "team_cadence",
        "pages/admin/data_settings.py": "data_settings",
        "pages/csm/this_week.py": "this_week",
    }[page]
    assert f'ui.require("{area}")' in (ROOT / page).read_text()


def test_a_manager_sees_their_team_only(demo_accounts):
    at = _as("ruth@example.com", "pages/manager/team_cadence.py")
    assert at.selectbox(key="team").options == ["Ruth Dubois"]
    team = set(demo_accounts.loc[demo_accounts["manager"] == "Ruth Dubois", "csm"])
    for df in at.dataframe:
        if "csm" in df.value.columns:
            assert set(df.value["csm"].dropna()) <= team, list(df.value.columns)
    at = _as("ruth@example.com")
    assert set(at.selectbox(key="csm").options) == team


def test_an_executive_sees_aggregates_and_no_csm_names(demo_accounts):
    at = _as("exec@example.com")
    assert at.title[0].value == "Customer wins"
    for df in at.dataframe:
        assert "csm" not in [c.lower() for c in df.value.columns]


def test_the_library_shows_the_team_s_insights_only(demo_accounts):
    at = _as("tom@example.com", "pages/library/insight_library.py")
    team = set(demo_accounts.loc[demo_accounts["manager"] == "Theo Silva", "csm"])
    shown = at.dataframe[0].value
    assert len(shown) and set(shown["csm"]) <= team


def test_only_admin_sees_data_and_settings():
    at = _as("admin@example.com", "pages/admin/data_settings.py")
    assert at.title[0].value.startswith("Data")
    assert not at.error


def test_cached_pages_never_carry_one_persons_view_to_another(demo_accounts):
    """Caches are global to the server: Priya's run must not leave her book for Tom."""
    priya = _as("priya@example.com")
    tom = _as("tom@example.com")
    ids = lambda at: set(at.dataframe[0].value["open"].str.split("account=").str[1])  # noqa: E731
    theirs = lambda n: set(demo_accounts.loc[demo_accounts["csm"] == n, "account_id"])  # noqa: E731
    assert ids(priya) <= theirs("Priya Shah") and ids(tom) <= theirs("Tom Bennett")
    assert ids(_as("priya@example.com")) == ids(priya)


def test_local_mode_says_so_and_switches_role():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert any("Local mode" in c.value for c in at.sidebar.caption)
    at.sidebar.selectbox(key="local_role").set_value("csm").run()
    assert not at.exception
    chosen = at.sidebar.selectbox(key="local_csm").value
    assert at.selectbox(key="csm").options == [chosen]
    at.sidebar.selectbox(key="local_role").set_value("executive").run()
    assert at.title[0].value == "Customer wins"


def test_a_broken_roles_map_lets_nobody_in_and_names_no_one():
    broken = {**DEMO_ROLES, "boss@example.com": {"role": "owner"}}
    at = open_app(
        secrets={"auth": AUTH, "roles": broken},
        user={"email": "priya@example.com", "is_logged_in": True},
    )
    assert at.title[0].value == "Ask your Rudder admin"
    assert "roles map" in at.error[0].value and "boss" not in at.error[0].value
    assert not at.dataframe and not at.metric


def test_a_manager_never_sees_another_teams_accounts_through_a_shared_csm(demo_accounts, tmp_path):
    """A CSM with accounts in two teams: each manager sees only their own team's share."""
    from insight_engine.source.demo import generate_demo, write_demo

    folder = write_demo(generate_demo(40, 3, days=90), tmp_path / "book")
    accounts = pd.read_csv(folder / "accounts.csv", dtype=str, keep_default_na=False)
    csm = accounts["csm"].iloc[0]
    theirs = accounts.index[accounts["csm"] == csm]
    other = next(m for m in accounts["manager"].unique() if m != accounts.at[theirs[0], "manager"])
    accounts.loc[theirs[0], "manager"] = other  # one of this CSM's accounts moves team
    accounts.to_csv(folder / "accounts.csv", index=False)
    roles = {"m@example.com": {"role": "manager", "team": other}}
    at = open_app(
        secrets={"auth": AUTH, "roles": roles},
        user={"email": "m@example.com", "is_logged_in": True},
        session={"source": {"kind": "folder", "path": str(folder)}},
        csm=csm,
    )
    assert csm in at.selectbox(key="csm").options
    at.selectbox(key="csm").set_value(csm).run()
    shown = set(at.dataframe[0].value["open"].str.split("account=").str[1])
    assert shown == {accounts.at[theirs[0], "account_id"]}, "only the account in their team"


def test_an_unreadable_secrets_file_fails_closed(monkeypatch):
    """A typo in secrets.toml must not turn a signed-in deployment into local (admin) mode."""
    from streamlit.errors import StreamlitSecretNotFoundError

    from insight_engine import ConfigError
    from pages.shared import ui

    class Broken:
        def __contains__(self, key):
            raise StreamlitSecretNotFoundError("secrets.toml is not valid TOML")

    monkeypatch.setattr(ui.st, "secrets", Broken())
    monkeypatch.setattr(ui, "_secrets_files_exist", lambda: True)
    with pytest.raises(ConfigError, match="could not be read"):
        ui.viewer()
    monkeypatch.setattr(ui, "_secrets_files_exist", lambda: False)  # no file at all: local mode
    assert ui.auth_configured() is False


@pytest.mark.parametrize("claim", [False, "false"])  # the string "false" once got in
def test_an_unverified_email_is_not_trusted(claim):
    at = open_app(
        secrets={"auth": AUTH, "roles": DEMO_ROLES},
        user={"email": "priya@example.com", "email_verified": claim, "is_logged_in": True},
    )
    assert at.title[0].value == "Ask your Rudder admin"
    assert "not verified" in at.error[0].value
    assert not at.dataframe and not at.metric
