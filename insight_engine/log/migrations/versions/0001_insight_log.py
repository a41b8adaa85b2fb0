"""The insight log: insights shared, and their follow-ups.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rudder_insight",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("external_id", sa.String(64)),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("csm", sa.String(200), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("motion", sa.String(32), nullable=False),
        sa.Column("audience", sa.String(100), nullable=False),
        sa.Column("subject", sa.Text),
        sa.Column("one_liner", sa.Text),
        sa.Column("text", sa.Text),
        sa.Column("tags", sa.String(500)),
        sa.Column("follow_up", sa.String(64)),
        sa.Column("alignment_meeting", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("drafter", sa.String(100)),
        sa.Column("evidence", sa.Text),
        sa.Column("signal_strength", sa.Float),
        sa.Column("health_at_send", sa.Float),
        sa.Column("sent_on", sa.Date, nullable=False),
        sa.Column("outcome", sa.String(32)),
        sa.Column("outcome_on", sa.Date),
        sa.Column("outcome_by", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_rudder_insight_key"),
    )
    op.create_index("ix_rudder_insight_account", "rudder_insight", ["account_id", "sent_on"])
    op.create_index("ix_rudder_insight_csm", "rudder_insight", ["csm", "sent_on"])
    op.create_table(
        "rudder_follow_up",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "insight_id",
            sa.Integer,
            sa.ForeignKey("rudder_insight.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("due_on", sa.Date),
        sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("done_on", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rudder_follow_up_open", "rudder_follow_up", ["done", "due_on"])


def downgrade() -> None:
    op.drop_table("rudder_follow_up")
    op.drop_table("rudder_insight")
