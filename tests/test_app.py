"""The real Streamlit app, driven from app.py with AppTest on the demo book."""

from __future__ import annotations

import json
import os

import pytest
from streamlit.testing.v1 import AppTest

from insight_engine.outputs.export import inert_markdown
from insight_engine.outputs.sharing import LOCAL_USER
from tests.conftest import ROOT
from tests.helpers import PAGES, open_app, top_account

APP = str(ROOT / "app.py")


@pytest.fixture(scope="module", autouse=True)
def _demo_ready():
    from insight_engine.book.loader import ensure_demo

    ensure_demo()


def _open(page: str | None = None, session: dict | None = None, **query) -> AppTest:
    return open_app(page, session=session, **query)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_on_the_demo_book_with_real_content(page):
    at = _open(page)
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page has a title"
    assert at.dataframe or at.metric, "every page shows data from the book"


def test_this_week_shows_the_chosen_csms_book():
    at = _open()
    first = at.metric[0].value
    csm = at.selectbox(key="csm")
    csm.select(csm.options[-1]).run()
    assert not at.exception
    assert at.selectbox(key="csm").value == csm.options[-1]
    assert int(at.metric[0].value) > 0
    assert at.dataframe[0].value["account_name"].notna().all()
    assert first  # both books have accounts


def test_account_view_by_url_and_why_the_score_moved():
    at = _open("pages/csm/account.py", account="A-00042")
    assert at.selectbox(key="account_pick").value == "A-00042"
    assert any("Health" in m.label for m in at.metric)
    bullets = " ".join(md.value for md in at.markdown)
    assert "Health" in bullets and ("rose" in bullets or "fell" in bullets or "steady" in bullets)


def test_unknown_account_in_url_is_a_message_not_a_crash():
    at = _open("pages/csm/account.py", account="<script>alert(1)</script>")
    assert at.error and "not an account in your book" in at.error[0].value


def test_health_weights_change_the_numbers():
    at = _open("pages/admin/data_settings.py")
    at.number_input[0].set_value(0.0)  # usage
    at.number_input[1].set_value(0.0)  # support
    at.number_input[2].set_value(100.0)  # survey only
    at.number_input[3].set_value(0.0)
    form_submit = next(b for b in at.button if b.label == "Apply")
    form_submit.click().run()
    assert not at.exception
    assert any("applied" in s.value for s in at.success)
    assert at.session_state["settings"].health.weight_survey == 100.0


def test_invalid_weights_show_an_error():
    at = _open("pages/admin/data_settings.py")
    for i in range(4):
        at.number_input[i].set_value(0.0)
    next(b for b in at.button if b.label == "Apply").click().run()
    assert at.error and "At least one health weight" in at.error[0].value


BAD_DB = {"kind": "sql", "url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}


def test_bad_database_url_is_a_message_and_offers_the_demo():
    # nothing loaded yet this session (a configured database that is down): say so, offer the demo
    at = _open(session={"source": dict(BAD_DB)})
    assert at.error and "Could not reach the database" in at.error[0].value
    assert "nobody" not in at.error[0].value, "connection details are not echoed"
    next(b for b in at.button if b.label == "Go back to the demo book").click().run()
    assert at.session_state["source"] == {"kind": "demo"}


def test_a_source_that_fails_to_load_leaves_the_previous_book_in_use():
    at = _open()
    at.session_state["source"] = dict(BAD_DB)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["source"] == {"kind": "demo"} and at.dataframe
    failure = at.session_state["load_failure"]
    assert failure["kind"] == "sql" and "Could not reach the database" in failure["message"]
    assert "nobody" not in failure["message"]
    at.switch_page("pages/admin/data_settings.py").run()
    shown = " ".join(e.value for e in at.error)
    assert "still shows the demo book" in shown and "Could not reach the database" in shown


def test_no_page_file_sits_directly_in_pages():
    # Streamlit's legacy pages/ routing runs any pages/*.py for a matching URL without app.py
    # (no navigation, no shared sidebar, no access checks); role folders keep it out of play.
    assert not list((ROOT / "pages").glob("*.py"))


def test_account_view_shows_three_editable_drafts_with_copy_and_notice(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    at = _open("pages/csm/account.py", account=_top_account())
    areas = [t for t in at.text_area if t.key and t.key.startswith("draft-")]
    assert len(areas) == 3
    assert all(a.value.startswith("Subject: ") for a in areas)
    assert any("Drafted offline with Rudder's templates" in c.value for c in at.caption)
    # each draft once (no second code-block copy), with a copy button aimed at its own box
    assert not at.code
    copies = [c for c in at.get("bidi_component") if '"target"' in c.proto.json]  # not Enter's
    targets = [json.loads(c.proto.json)["target"] for c in copies]
    assert sorted(targets) == sorted(a.label for a in areas)
    areas[1].set_value(areas[1].value + "\nP.S. edited by the CSM").run()
    assert "edited by the CSM" in at.text_area(key=areas[1].key).value


def _top_account() -> str:
    return top_account(_open())


def test_account_view_offers_the_insight_chart_as_png():
    at = _open("pages/csm/account.py", account=_top_account())
    assert any(c.value.startswith("How to read this:") for c in at.caption)
    buttons = [b for b in at.get("download_button") if "PNG" in str(b.proto.label)]
    assert buttons, "a PNG download sits beside the insight chart"


def test_the_csm_flow_log_exactly_once_follow_up_and_outcome(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    from insight_engine.log.store import InsightStore

    store = InsightStore(os.environ["RUDDER_DB_URL"])
    account = _top_account()  # This week → the top account
    at = _open("pages/csm/account.py", account=account)
    areas = [t for t in at.text_area if t.key and t.key.startswith("draft-")]
    assert len(areas) == 3  # three drafts
    marker = f"Edited by the CSM {os.getpid()}"
    for area in areas:
        area.set_value(area.value + "\n" + marker)
    at.run()
    before = store.count()
    submit = next(b for b in at.button if b.label == "Log insight")
    submit.click().run()
    assert not at.exception and any("Logged" in s.value for s in at.success)
    assert store.count() == before + 1
    logged = store.insights([account], book_key="demo").iloc[0]
    assert marker in logged["text"] and logged["drafter"] == "template"
    assert logged["author"] == LOCAL_USER  # local mode, viewed as the admin (the default)
    assert logged["evidence"] and "headline" in logged["evidence"]
    # logging the same text again (double click, rerun) stores nothing new
    next(b for b in at.button if b.label == "Log insight").click().run()
    assert store.count() == before + 1
    assert any("Already logged" in i.value for i in at.info)
    # it is in the account's timeline and the follow-ups
    at = _open("pages/csm/account.py", account=account)
    texts = " ".join(str(df.value.to_csv()) for df in at.dataframe)
    assert logged["one_liner"] in texts
    csm = logged["csm"]
    assert (store.follow_ups(book_key="demo", csm=csm)["account_id"] == account).any()
    # record the outcome
    pick_value = store.insights([account], book_key="demo").iloc[0]["insight_id"]
    at.selectbox(key="outcome_pick").set_value(pick_value)
    at.radio(key="outcome_value").set_value("landed")
    next(b for b in at.button if b.label == "Save outcome").click().run()
    assert not at.exception
    assert store.insights([account], book_key="demo").iloc[0]["outcome"] == "landed"


def test_markdown_in_a_url_or_data_renders_inert():
    at = _open("pages/csm/account.py", account="[Reset password](https://evil.example)")
    warning = at.error[0].value
    # escaped, and the bare URL broken by an invisible joiner: shown as text, never a link
    assert inert_markdown("[Reset password](https://evil.example)") in warning
    assert "\\[Reset password\\]" in warning and "https://" not in warning


def test_follow_ups_due_can_be_marked_done_from_this_week():
    import datetime as dt

    import pandas as pd

    from insight_engine.book.loader import ensure_demo
    from insight_engine.log.store import InsightStore, NewInsight

    store = InsightStore(os.environ["RUDDER_DB_URL"])
    accounts = pd.read_csv(ensure_demo() / "accounts.csv")
    # follow-ups show on the book of the account's owner (matched by account, not by name)
    csm = accounts.loc[accounts["account_id"] == "A-00001", "csm"].iloc[0]
    store.log(
        NewInsight(
            account_id="A-00001",
            csm=csm,
            author=csm,
            motion="risk",
            audience=["champion"],
            text=f"Overdue follow-up test {os.getpid()}",
            sent_on=dt.date(2026, 11, 1),
            book_key="demo",
            follow_up="task",
            follow_up_due=dt.date(2026, 11, 10),
        )
    )
    at = _open()
    at.selectbox(key="csm").set_value(csm).run()
    assert int(next(m for m in at.metric if m.label == "Overdue follow-ups").value) >= 1
    before = len(store.follow_ups(book_key="demo", csm=csm))
    overdue_id = int(store.follow_ups(book_key="demo", csm=csm).sort_values("due_on")["id"].iloc[0])
    at.multiselect(key="done_pick").set_value([overdue_id]).run()
    next(b for b in at.button if b.label == "Mark as done").click().run()
    assert not at.exception
    assert len(store.follow_ups(book_key="demo", csm=csm)) == before - 1


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_team_cadence_filters_change_the_numbers_and_export_csv():
    at = _open("pages/manager/team_cadence.py")
    total = _metric(at, "Insights shared")
    at.selectbox(key="team").set_value(at.selectbox(key="team").options[1]).run()
    assert not at.exception and _metric(at, "Insights shared") != total
    narrower = _metric(at, "Insights shared")
    at.slider(key="cadence_weeks").set_value(4).run()
    assert int(_metric(at, "Insights shared").replace(",", "")) < int(narrower.replace(",", ""))
    labels = [str(b.proto.label) for b in at.get("download_button")]
    for name in (
        "coverage",
        "the mix",
        "untouched accounts",
        "landed rate by CSM",
        "overdue follow-ups",
    ):
        assert any(name in label and "CSV" in label for label in labels), name
    assert any("PNG" in label for label in labels)


def test_customer_wins_filters_and_no_per_csm_tables():
    at = _open("pages/executive/customer_wins.py")
    wins = _metric(at, "Customers with a win")
    at.multiselect(key="exec_tier").set_value(["Starter"]).run()
    assert not at.exception and _metric(at, "Customers with a win") != wins
    for df in at.dataframe:
        assert "csm" not in [c.lower() for c in df.value.columns], "executives see aggregates only"
    labels = [str(b.proto.label) for b in at.get("download_button")]
    assert (
        sum("PNG" in label for label in labels) >= 2
        and sum("CSV" in label for label in labels) >= 3
    )


def test_library_search_filters_and_examples():
    at = _open("pages/library/insight_library.py")
    caption = next(c.value for c in at.caption if " insights" in c.value)
    at.multiselect(key="lib_motion").set_value(["win"]).run()
    narrowed = next(c.value for c in at.caption if " insights" in c.value)
    assert narrowed != caption
    pick = at.selectbox(key="example_pick")
    why = "One number, the customer's goal, one ask."
    at.text_input(key="example_why").set_value(why)
    next(b for b in at.button if b.label == "Add to the examples").click().run()
    assert not at.exception and any("Added" in s.value for s in at.success)
    at = _open("pages/library/insight_library.py")
    assert any("One number, the customer" in m.value for m in at.markdown)
    from insight_engine.log.store import InsightStore

    log = InsightStore(os.environ["RUDDER_DB_URL"]).insights(book_key="demo").set_index("id")
    marked = log.loc[pick.value]  # the insight picked in the box is the one marked
    assert marked["library_example"] and marked["library_note"] == why


def test_manager_drill_down_opens_that_csms_week():
    probe = _open()
    other = probe.selectbox(key="csm").options[-1]
    at = _open(csm=other)
    assert at.selectbox(key="csm").value == other
