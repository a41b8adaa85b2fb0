"""Library examples: a strong insight marked for new team members, with why it is good.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rudder_insight") as batch:  # batch: SQLite rebuilds the table safely
        batch.add_column(
            sa.Column("library_example", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("library_note", sa.Text))
        batch.add_column(sa.Column("library_by", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("rudder_insight") as batch:
        batch.drop_column("library_by")
        batch.drop_column("library_note")
        batch.drop_column("library_example")
