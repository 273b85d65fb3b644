"""clients: the pairwise sector, frozen at registration

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # OIDC Core §8.1: the host pairwise subjects are computed for. Existing clients keep
    # deriving it until their next update freezes it (RegistrationEndpoint.update).
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pairwise_sector", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("pairwise_sector")
