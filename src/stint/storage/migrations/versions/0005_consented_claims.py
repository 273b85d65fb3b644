"""consents remember the claims agreed to by name (OIDC Core §5.5)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Consents given before this asked for no claim by name: an empty list is what they cover.
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claims", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_column("claims")
