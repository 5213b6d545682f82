from django.urls import URLPattern, URLResolver, path

from tidings.community import views

app_name = "community"

urlpatterns: list[URLPattern | URLResolver] = [
    # accounts
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/done/", views.signup_done, name="signup_done"),
    path("accounts/activate/<uidb64>/<token>/", views.activate, name="activate"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/settings/", views.settings_view, name="settings"),
    path("accounts/people/<str:username>/", views.profile, name="profile"),
    # comments
    path("comments/post/", views.post_comment, name="post"),
    path("comments/<int:comment_id>/", views.permalink, name="permalink"),
    path("comments/<int:comment_id>/edit/", views.edit_comment, name="edit"),
    path("comments/<int:comment_id>/delete/", views.delete_comment, name="delete"),
    path("comments/<int:comment_id>/report/", views.report_comment, name="report"),
    path("comments/<int:comment_id>/like/", views.like_comment, name="like"),
    path("comments/<str:kind>/<str:target_id>/", views.thread, name="thread"),
    # moderation
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/log/", views.moderation_log, name="moderation_log"),
    path("moderation/comments/<int:comment_id>/", views.moderation_act, name="moderate"),
    path("moderation/readers/<int:user_id>/", views.moderation_ban, name="ban"),
]
