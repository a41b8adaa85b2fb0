"""Data & settings: where the data comes from, what was wrong with it, and the health-score settings."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from insight_engine import ConfigError, HealthSettings, RudderError, Settings
from insight_engine.contract import TABLES
from insight_engine.loader import UploadedFile
from insight_engine.mapping import suggest_mapping
from insight_engine.opportunity import evaluate_time_split
from insight_engine.reader import check_upload, guess_table, read_raw
from insight_engine.settings import DetectorSettings, ModelSettings, describe_settings
from pages.shared import ui

st.title("Data & settings")
ui.require("data_settings")
book = ui.book()

st.subheader("Current data")
st.markdown(
    f"**Source:** {ui.md(book.source)}  \n**As of:** {book.as_of:%Y-%m-%d} · {len(book.accounts):,} accounts · "
    f"{book.weekly.shape[1]} weeks · {book.weekly.shape[2]} metrics"
)
st.markdown(book.report.summary())
counts = pd.DataFrame([{"file": f, **c} for f, c in book.report.counts.items()])
st.dataframe(
    counts,
    hide_index=True,
    width="content",
    column_config={"file": "File", "read": "Rows read", "kept": "Loaded", "rejected": "Set aside"},
)
with st.expander("Validation report", expanded=bool(book.report.rejected_rows)):
    ui.show_problems(book.report.to_frame(), key="current")
    for name, rows in book.report.rejected.items():
        st.download_button(
            f"Download the {len(rows):,} rows set aside from {ui.md(name)}",
            ui.safe_csv(rows),
            file_name=f"rejected-{name}.csv",
            mime="text/csv",
            key=f"rej-{name}",
        )

st.subheader("Use other data")
kind = st.radio(
    "Source", ["Demo book", "Upload files", "Database"], horizontal=True, key="source_kind"
)
if kind == "Demo book":
    if st.button("Use the demo book", disabled=ui.source()["kind"] == "demo"):
        st.session_state["source"] = {"kind": "demo"}
        st.rerun()
elif kind == "Database":
    configured = ui.secret("RUDDER_DATA_URL")
    st.caption(
        "Tables named as in the data contract. Usage is rolled up to weeks inside the database."
    )
    url = st.text_input(
        "SQLAlchemy URL",
        type="password",
        key="db_url",
        placeholder="postgresql+psycopg://user@host:5432/db"
        if not configured
        else "(configured in secrets)",
    )
    if st.button("Connect", disabled=not (url or configured)):
        st.session_state["source"] = {"kind": "sql", "url": url or configured}
        st.rerun()
else:
    uploads = st.file_uploader(
        "Your files (CSV, TSV, Excel or Parquet), one per table",
        accept_multiple_files=True,
        type=["csv", "tsv", "txt", "xlsx", "parquet"],
        key="uploads",
    )
    prepared: list[UploadedFile] = []
    ready = bool(uploads)
    for up in uploads or []:
        data = up.getvalue()
        with st.expander(ui.md(up.name), expanded=True):
            tables = list(TABLES)
            guess = guess_table(up.name)
            table = st.selectbox(
                "Holds the table",
                tables,
                index=tables.index(guess) if guess in tables else 0,
                key=f"tbl-{up.name}",
            )
            refused = check_upload(data, up.name)  # on the server: size, type, zip bombs
            raw = read_raw(data, up.name) if refused is None else None
            if refused is not None or raw.fatal:
                st.error(ui.md(refused or raw.fatal))
                ready = False
                continue
            for note in raw.notes:
                st.caption(f"ℹ️ {ui.md(note.problem)}")
            columns = [str(c) for c in raw.frame.columns]
            suggested = suggest_mapping(columns, table)
            reverse = {v: k for k, v in suggested.items()}
            st.caption("Check how your columns map to Rudder's (required ones are marked *).")
            mapping: dict[str, str] = {}
            cols = st.columns(3)
            for i, col in enumerate(TABLES[table].columns):
                options = ["— not in file —", *columns]
                pick = cols[i % 3].selectbox(
                    f"{col.name}{' *' if col.required else ''}",
                    options,
                    index=options.index(reverse[col.name]) if col.name in reverse else 0,
                    key=f"map-{up.name}-{col.name}",
                    help=col.description,
                )
                if pick != options[0]:
                    mapping[pick] = col.name
            if table == "usage" and not {"metric", "value"} & set(mapping.values()):
                # wide usage: keep the metric columns as they are
                mapping.update({c: c for c in columns if c not in mapping})
            order = st.radio(
                "Dates such as 03/04/2025 are",
                ["auto", "day_first", "month_first"],
                horizontal=True,
                key=f"order-{up.name}",
                format_func={
                    "auto": "Refuse to guess",
                    "day_first": "Day first (3 April)",
                    "month_first": "Month first (March 4)",
                }.get,
            )
            missing = [c for c in TABLES[table].required_columns if c not in mapping.values()]
            if missing and not (table == "usage" and "account_id" in mapping.values()):
                st.warning(f"Map the required column(s): {', '.join(missing)}")
                ready = False
            prepared.append(
                UploadedFile(up.name, data, table=table, mapping=mapping, date_order=order)
            )
    if st.button("Load these files", type="primary", disabled=not ready):
        st.session_state["source"] = {"kind": "upload", "files": prepared}
        st.rerun()

st.subheader("Health score")
current = ui.settings()
h = current.health
st.caption(
    "Weights are shares of the score; a component with no data passes its weight to the others."
)
with st.form("health_settings"):
    c1, c2, c3, c4 = st.columns(4)
    w_usage = c1.number_input("Product usage", 0.0, 100.0, float(h.weight_usage), step=5.0)
    w_support = c2.number_input("Support sentiment", 0.0, 100.0, float(h.weight_support), step=5.0)
    w_survey = c3.number_input("NPS / CSAT", 0.0, 100.0, float(h.weight_survey), step=5.0)
    w_eng = c4.number_input(
        "Engagement with the CSM", 0.0, 100.0, float(h.weight_engagement), step=5.0
    )
    b1, b2 = st.columns(2)
    red = b1.number_input("Red below", 0.0, 100.0, float(h.red_below), step=1.0)
    green = b2.number_input("Green above", 0.0, 100.0, float(h.green_above), step=1.0)
    persist = st.checkbox("Save as the team default on this machine", value=False)
    if st.form_submit_button("Apply"):
        try:
            updated = replace(
                current,
                health=HealthSettings(
                    weight_usage=w_usage,
                    weight_support=w_support,
                    weight_survey=w_survey,
                    weight_engagement=w_eng,
                    red_below=red,
                    green_above=green,
                    support_window_weeks=h.support_window_weeks,
                    survey_valid_weeks=h.survey_valid_weeks,
                    engagement_full_days=h.engagement_full_days,
                    engagement_zero_days=h.engagement_zero_days,
                ),
            ).validate()
        except ConfigError as exc:
            st.error(ui.md(exc))
        else:
            st.session_state["settings"] = updated
            if persist:
                updated.save(ui.SETTINGS_PATH)
            st.success("Health settings applied.")
if st.button("Reset to the play's defaults"):
    st.session_state["settings"] = Settings()
    st.rerun()

st.subheader("Signal thresholds and ranking")
st.caption("Every number the detectors and the ranking use. Hover for what each one does.")
with st.form("engine_settings"):
    values: dict[str, dict] = {"detector": {}, "model": {}}
    for section in ("detector", "model"):
        rows = [r for r in describe_settings(current) if r["section"] == section]
        cols = st.columns(3)
        for i, row in enumerate(rows):
            value = row["value"]
            widget = cols[i % 3].number_input(
                row["name"].replace("_", " ").capitalize(),
                value=value,
                help=str(row["doc"]),
                step=1 if isinstance(value, int) else 0.05,
                key=f"set-{section}-{row['name']}",
                format="%d" if isinstance(value, int) else "%.2f",
            )
            values[section][row["name"]] = int(widget) if isinstance(value, int) else float(widget)
    if st.form_submit_button("Apply thresholds"):
        try:
            updated = Settings(
                health=current.health,
                detector=DetectorSettings(**values["detector"]),
                model=ModelSettings(**values["model"]),
            ).validate()
        except ConfigError as exc:
            st.error(ui.md(exc))
        else:
            st.session_state["settings"] = updated
            st.success("Thresholds applied; the book is re-ranked.")

st.subheader("Opportunity model")
result = ui.analysis(book)
st.markdown(result.ranked_by)
c1, c2 = st.columns(2)
if c1.button(
    "Evaluate on a time split", help="Train on older insights, test on the newest quarter."
):
    try:
        evaluation = evaluate_time_split(book, result.health, current.model)
    except RudderError as exc:
        st.error(ui.md(exc))
    else:
        st.metric(
            "Model ROC AUC (newest insights)",
            f"{evaluation.auc_model:.3f}",
            f"{evaluation.auc_model - evaluation.auc_prior:+.3f} vs the prior",
        )
        st.caption(
            f"Trained on {evaluation.n_train:,} insights before {evaluation.split_date}; "
            f"tested on {evaluation.n_test:,} after."
        )
        st.dataframe(
            evaluation.calibration,
            hide_index=True,
            column_config={
                "predicted": st.column_config.NumberColumn("Predicted landed rate", format="%.2f"),
                "observed": st.column_config.NumberColumn("Observed landed rate", format="%.2f"),
                "insights": "Insights",
            },
        )
if c2.button("Retrain now"):
    ui.retrain()
    st.rerun()
