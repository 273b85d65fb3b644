"""Social login: Stint as an OAuth client of upstream providers (GitHub, Google, any OpenID
provider), with python-social-auth's backend model.

A backend is a small class (``name``, ``AUTHORIZATION_URL``, ``get_user_details``,
``user_data``...) as python-social-auth's "Adding a new backend" page describes; it reads this
sign-in's request and settings through its ``strategy`` and gives back an ``UpstreamIdentity``.
This package knows nothing of Stint's web framework, storage or accounts: the social feature
(``stint.web.features.social``) drives it and links what it returns to an account.
"""
