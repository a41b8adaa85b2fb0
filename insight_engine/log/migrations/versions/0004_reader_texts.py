"""Every reader's final text: ``texts`` holds, as JSON, the text sent to each reader.

Until this revision only the first reader's text was stored (``text``), so an edit to another
reader's draft was lost. ``text`` stays (the first reader's text) for anything that reads it;
``texts`` maps each reader sent to (``admin``, ``champion``, ``executive``) to the exact text in
that reader's box. Rows logged before this revision keep ``texts`` empty: what the other readers
got was never recorded and is not invented now. One insight is still one row, so counting
"insights shared" is unchanged.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rudder_insight") as batch:  # batch: SQLite rebuilds the table safely
        batch.add_column(sa.Column("texts", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("rudder_insight") as batch:
        batch.drop_column("texts")
