"""The insight log belongs to a book: every record carries its book's key.

Every read is scoped to the loaded book's key (see ``insight_engine.book.book_key``), and the
idempotency key is unique *within* a book, so the same history insight id or the same account id
in two books never collide.

Existing rows become the demo book's (``book_key = 'demo'``): until this revision the app always
opened on the demo book and imported its history into the one shared log, so almost every row is
the demo's. Insights a team logged by hand after switching to its own data cannot be told apart
from the rows alone (the log did not record the source); they too are filed under ``demo``, and an
operator can move them with ``UPDATE rudder_insight SET book_key = '<the book key>' WHERE
book_key = 'demo' AND drafter <> 'history' AND account_id IN (...)``.

The column is added with a server default to fill existing rows, then the default is dropped:
from here on every writer must say which book it writes to.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

EXISTING_ROWS_BOOK = "demo"


def upgrade() -> None:
    # batch: SQLite rebuilds the table (the store turns foreign keys off while it does, so the
    # rebuild's DROP TABLE does not cascade to the follow-ups).
    with op.batch_alter_table("rudder_insight") as batch:
        batch.add_column(
            sa.Column("book_key", sa.String(200), nullable=False, server_default=EXISTING_ROWS_BOOK)
        )
        batch.drop_constraint("uq_rudder_insight_key", type_="unique")
        batch.create_unique_constraint(
            "uq_rudder_insight_book_key", ["book_key", "idempotency_key"]
        )
        batch.create_index("ix_rudder_insight_book", ["book_key", "sent_on"])
    with op.batch_alter_table("rudder_insight") as batch:
        batch.alter_column(
            "book_key", existing_type=sa.String(200), existing_nullable=False, server_default=None
        )


def downgrade() -> None:
    # Two books may hold the same idempotency key; the old schema cannot, so keep one of each
    # (the lowest id) before restoring the single-column constraint.
    op.execute(
        "DELETE FROM rudder_insight WHERE id NOT IN "
        "(SELECT min_id FROM (SELECT MIN(id) AS min_id FROM rudder_insight "
        "GROUP BY idempotency_key) AS keep)"
    )
    with op.batch_alter_table("rudder_insight") as batch:
        batch.drop_index("ix_rudder_insight_book")
        batch.drop_constraint("uq_rudder_insight_book_key", type_="unique")
        batch.create_unique_constraint("uq_rudder_insight_key", ["idempotency_key"])
        batch.drop_column("book_key")
