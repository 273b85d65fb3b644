"""CIBA: backchannel authentication requests and the jti of signed requests

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backchannel_requests",
        sa.Column("auth_req_id_hash", sa.String(length=64), nullable=False),
        sa.Column("handle", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("delivery_mode", sa.String(length=8), nullable=False),
        sa.Column("binding_message", sa.String(length=256), nullable=True),
        sa.Column("acr_values", sa.Text(), server_default="", nullable=False),
        sa.Column("claims", sa.Text(), nullable=True),
        sa.Column("sealed_notification", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("grant_id", sa.String(length=32), nullable=True),
        sa.Column("oidc", sa.Text(), nullable=True),
        sa.Column("poll_interval", sa.Integer(), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_backchannel_requests_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["grants.id"],
            name=op.f("fk_backchannel_requests_grant_id_grants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_backchannel_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("auth_req_id_hash", name=op.f("pk_backchannel_requests")),
        sa.UniqueConstraint("handle", name=op.f("uq_backchannel_requests_handle")),
    )
    with op.batch_alter_table("backchannel_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backchannel_requests_user_id_status"),
            ["user_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_backchannel_requests_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "request_jtis",
        sa.Column("jti_key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti_key", name=op.f("pk_request_jtis")),
    )
    with op.batch_alter_table("request_jtis", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_jtis_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("request_jtis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_jtis_expires_at"))
    op.drop_table("request_jtis")
    with op.batch_alter_table("backchannel_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backchannel_requests_expires_at"))
        batch_op.drop_index(batch_op.f("ix_backchannel_requests_user_id_status"))
    op.drop_table("backchannel_requests")
