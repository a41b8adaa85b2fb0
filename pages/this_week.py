"""CSM — This week: the CSM's book, most in need of attention first."""

import streamlit as st

from pages import ui

book = ui.book()
table = ui.book_table(book)

st.title("This week")
csms = book.csms
csm = st.selectbox("CSM", csms, key="csm", help="Whose book to show.")
mine = table.loc[table["csm"] == csm].copy()

red = int((mine["band"] == "red").sum())
renewals = int(((mine["days_to_renewal"] >= 0) & (mine["days_to_renewal"] <= 120)).sum())
falling = int((mine["change_4w"] <= -15).sum())
quiet = int((mine["days_since_insight"].isna() | (mine["days_since_insight"] > 45)).sum())
c1, c2, c3, c4 = st.columns(4)
c1.metric("Accounts", f"{len(mine):,}")
c2.metric("Red health", f"{red:,}", help="Health score below the red threshold.")
c3.metric("Down 15+ points in 4 weeks", f"{falling:,}")
c4.metric("No insight in 45+ days", f"{quiet:,}")
st.caption(f"As of {book.as_of:%A %d %B %Y} · renewals in the next 120 days: {renewals}")

mine["attention"] = (100 - mine["health"].fillna(50)) + (-mine["change_4w"].fillna(0)).clip(lower=0)
mine = mine.sort_values(["attention", "arr"], ascending=[False, False])
mine["open"] = "/account?account=" + mine["account_id"].astype(str)
st.dataframe(
    mine[
        [
            "account_name",
            "tier",
            "arr",
            "health",
            "band",
            "change_4w",
            "days_to_renewal",
            "last_insight",
            "open",
        ]
    ],
    hide_index=True,
    width="stretch",
    column_config={
        "account_name": st.column_config.TextColumn("Account"),
        "tier": "Tier",
        "arr": st.column_config.NumberColumn("ARR", format="$%d"),
        "health": st.column_config.ProgressColumn(
            "Health", min_value=0, max_value=100, format="%.0f"
        ),
        "band": "Band",
        "change_4w": st.column_config.NumberColumn("4-week change", format="%+.0f"),
        "days_to_renewal": st.column_config.NumberColumn("Days to renewal"),
        "last_insight": st.column_config.DateColumn("Last insight"),
        "open": st.column_config.LinkColumn("Open", display_text="Open account"),
    },
)
st.caption(
    "Sorted by need for attention: low or falling health first. The ranked insight list arrives with the insight engine."
)
