"""The Solara dashboard of acsim (``solara run dashboard/app.py``; ``acsim dashboard``).

Not part of the installed ``acsim`` package (acsim never imports it): ``app.py`` is the
page, ``session.py`` the per-page model runner (background rounds), ``controls.py`` the
side panel's values → validated parameters, ``charts.py`` the live views, ``assets.py``
the offline web assets, ``testing.py`` the server/browser helpers of the tests and the
benchmark, ``screenshot.py`` the README's screenshot.
"""
