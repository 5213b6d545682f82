"""Pages and form handlers for accounts, comments and moderation.

Every state change is a POST behind Django's CSRF check. Handlers answer a
plain form post with a redirect back to the page (``#comment-<id>``) and a
``fetch`` call carrying ``X-Tidings-Fragment: 1`` with the rendered comment.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_GET, require_POST

from tidings.community import _thread, accounts, ratelimit, services
from tidings.community.forms import (
    EmailAuthenticationForm,
    ModerationForm,
    ProfileForm,
    QuietPasswordResetForm,
    ReportForm,
    SignupForm,
)
from tidings.community.models import Comment, ModerationAction, Report
from tidings.community.policy import policy
from tidings.core import reltime
from tidings.core.errors import CommentError, CommentTooLongError, RateLimitedError
from tidings.news.models import Article, Story

S = Comment.Status


# --- helpers ------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` parameter when it points into this site, else ``fallback``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get("X-Tidings-Fragment") == "1"


def _page(
    request: HttpRequest, template: str, ctx: dict[str, Any], status: int = 200
) -> HttpResponse:
    ctx = {"base_template": _thread.base_template(), **ctx}
    return render(request, template, ctx, status=status)


def _too_many(
    request: HttpRequest,
    exc: RateLimitedError,
    template: str = "community/error.html",
    ctx: dict[str, Any] | None = None,
) -> HttpResponse:
    body = {"message": exc.message, "retry_in": reltime.wait(exc.retry_after), **(ctx or {})}
    if _wants_fragment(request):
        response = HttpResponse(
            render_to_string("community/_error.html", body, request=request), status=429
        )
    else:
        response = _page(request, template, body, status=429)
    response["Retry-After"] = ratelimit.retry_after_header(exc)
    return response


def _refused(request: HttpRequest, exc: CommentError, ctx: dict[str, Any]) -> HttpResponse:
    status = 413 if isinstance(exc, CommentTooLongError) else 400
    body = {"message": exc.message, **ctx}
    if _wants_fragment(request):
        return HttpResponse(
            render_to_string("community/_error.html", body, request=request), status=status
        )
    return _page(request, "community/error.html", body, status=status)


def _target(kind: str, target_id: str) -> Article | Story:
    if kind == "article":
        return get_object_or_404(Article, pk=target_id)
    if kind == "story":
        return get_object_or_404(Story, pk=target_id)
    raise Http404("unknown kind")


def _comment_response(
    request: HttpRequest, comment: Comment, *, status: int = 200, note: str = ""
) -> HttpResponse:
    back = safe_next(request, comment.target.get_absolute_url())
    if _wants_fragment(request):
        comment.can_edit = services.can_edit(request.user, comment)  # type: ignore[attr-defined]
        comment.reply_list = []  # type: ignore[attr-defined]
        ctx = {
            "c": comment,
            "next": back,
            "user": request.user,
            "edit_minutes": policy().edit_minutes,
            "max_chars": policy().max_chars,
            "fresh": True,
        }
        response = HttpResponse(
            render_to_string("community/_comment.html", ctx, request=request), status=status
        )
        response["X-Comment-Id"] = str(comment.pk)
        return response
    if note:
        messages.info(request, note)
    return HttpResponseRedirect(f"{back.split('#', 1)[0]}#{comment.anchor}")


# --- accounts -----------------------------------------------------------------


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("/")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.hit(
                ratelimit.bucket_key("account-mail", client_ip(request)),
                policy().account_email_rate,
            )
        except RateLimitedError as exc:
            return _too_many(request, exc)
        accounts.register(
            request,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            display_name=form.cleaned_data["display_name"],
        )
        return redirect("community:signup_done")
    return _page(request, "community/signup.html", {"form": form})


def signup_done(request: HttpRequest) -> HttpResponse:
    return _page(request, "community/signup_done.html", {})


def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not accounts.activation_tokens.check_token(user, token):
        return _page(request, "community/activate_failed.html", {}, status=400)
    user.is_active = True
    user.save(update_fields=["is_active"])
    login(request, user, backend="tidings.community.accounts.EmailBackend")
    messages.success(request, "Welcome! Your account is ready.")
    return redirect("community:profile", username=user.username)


class LoginView(auth_views.LoginView):
    """Django's log-in, throttled per (account, address) and per address."""

    template_name = "community/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["base_template"] = _thread.base_template()
        return ctx

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ident = str(request.POST.get("username", "")).strip().lower()[:254]
        ip = client_ip(request)
        rate = policy().login_rate
        account_key = ratelimit.bucket_key("login", ident, ip)
        try:
            ratelimit.hit(account_key, rate)
            ratelimit.hit(
                ratelimit.bucket_key("login-ip", ip), ratelimit.Rate(rate.count * 6, rate.seconds)
            )
        except RateLimitedError as exc:
            form = self.get_form()
            return _too_many(
                request,
                RateLimitedError(
                    "Too many log-in attempts. Please wait before trying again.",
                    retry_after=exc.retry_after,
                ),
                "community/login.html",
                {"form": form, "throttled": True},
            )
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            ratelimit.reset(account_key)
        return response


class LogoutView(auth_views.LogoutView):
    template_name = "community/logged_out.html"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "community/password_reset_form.html"
    form_class = QuietPasswordResetForm
    email_template_name = "community/email/password_reset.txt"
    subject_template_name = "community/email/password_reset_subject.txt"
    success_url = reverse_lazy("community:password_reset_done")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["base_template"] = _thread.base_template()
        return ctx

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            ratelimit.hit(
                ratelimit.bucket_key("account-mail", client_ip(self.request)),
                policy().account_email_rate,
            )
        except RateLimitedError as exc:
            return _too_many(self.request, exc)
        return super().form_valid(form)


class _Framed:
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        ctx["base_template"] = _thread.base_template()
        return ctx


class PasswordResetDoneView(_Framed, auth_views.PasswordResetDoneView):
    template_name = "community/password_reset_done.html"


class PasswordResetConfirmView(_Framed, auth_views.PasswordResetConfirmView):
    template_name = "community/password_reset_confirm.html"
    success_url = reverse_lazy("community:password_reset_complete")


class PasswordResetCompleteView(_Framed, auth_views.PasswordResetCompleteView):
    template_name = "community/password_reset_complete.html"


@require_GET
def profile(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(User, username=username, is_active=True)
    prof = accounts.profile_for(person)
    own = request.user.is_authenticated and request.user.pk == person.pk
    comments = Comment.objects.filter(author=person).filter(services.visible_q(request.user))
    comments = comments.select_related("article", "story").order_by("-created_at")
    return _page(
        request,
        "community/profile.html",
        {
            "person": person,
            "profile": prof,
            "own": own,
            "comments": comments[:50],
            "published_total": Comment.objects.filter(author=person, status=S.PUBLISHED).count(),
        },
    )


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    prof = accounts.profile_for(request.user)
    form = ProfileForm(request.POST or None, initial={"display_name": prof.display_name})
    if request.method == "POST" and form.is_valid():
        prof.display_name = form.cleaned_data["display_name"]
        prof.save(update_fields=["display_name"])
        messages.success(request, "Saved.")
        return redirect("community:settings")
    return _page(request, "community/settings.html", {"form": form, "profile": prof})


# --- comments -----------------------------------------------------------------


@require_GET
def thread(request: HttpRequest, kind: str, target_id: str) -> HttpResponse:
    target = _target(kind, target_id)
    return _page(request, "community/thread.html", {"target": target})


@require_GET
def permalink(request: HttpRequest, comment_id: int) -> HttpResponse:
    try:
        comment = services.get_for(request.user, comment_id)
    except Comment.DoesNotExist as exc:
        raise Http404("no such comment") from exc
    return HttpResponseRedirect(f"{comment.target.get_absolute_url()}#{comment.anchor}")


def _login_first(request: HttpRequest) -> HttpResponse:
    if _wants_fragment(request):
        return HttpResponse(
            render_to_string(
                "community/_error.html", {"message": "Please log in first."}, request=request
            ),
            status=403,
        )
    back = safe_next(request, "/")
    return redirect(f"{reverse('community:login')}?next={back}")


@require_POST
def post_comment(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request)
    target = _target(request.POST.get("kind", ""), request.POST.get("target", ""))
    body = request.POST.get("body", "")
    raw_parent = request.POST.get("parent", "")
    try:
        parent_id = int(raw_parent) if raw_parent else None
    except ValueError as exc:
        raise Http404("bad parent") from exc
    assert isinstance(request.user, User)
    ctx = {"body": body, "target": target, "back": safe_next(request, target.get_absolute_url())}
    try:
        comment = services.post(
            author=request.user,
            target=target,
            body=body,
            ip=client_ip(request),
            parent_id=parent_id,
        )
    except RateLimitedError as exc:
        return _too_many(request, exc, ctx=ctx)
    except CommentError as exc:
        return _refused(request, exc, ctx)
    note = ""
    if comment.status == S.PENDING:
        note = "Thanks! Your comment is waiting for a moderator and only you can see it for now."
    return _comment_response(request, comment, status=201, note=note)


@require_POST
def edit_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    assert isinstance(request.user, User)
    body = request.POST.get("body", "")
    try:
        comment = services.edit(user=request.user, comment_id=comment_id, body=body)
    except Comment.DoesNotExist as exc:
        raise Http404("no such comment") from exc
    except CommentError as exc:
        return _refused(request, exc, {"body": body, "back": safe_next(request, "/")})
    return _comment_response(request, comment)


@require_POST
def delete_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    assert isinstance(request.user, User)
    try:
        comment = services.delete_own(user=request.user, comment_id=comment_id)
    except Comment.DoesNotExist as exc:
        raise Http404("no such comment") from exc
    return _comment_response(request, comment, note="Your comment was deleted.")


@require_POST
def report_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request)
    assert isinstance(request.user, User)
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _refused(request, CommentError("Please choose a reason."), {})
    try:
        services.report(
            user=request.user,
            comment_id=comment_id,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
        comment = services.get_for(request.user, comment_id)
    except Comment.DoesNotExist as exc:
        raise Http404("no such comment") from exc
    except CommentError as exc:
        return _refused(request, exc, {})
    comment.reported = True  # type: ignore[attr-defined]
    return _comment_response(request, comment, note="Thanks, a moderator will take a look.")


@require_POST
def like_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request)
    assert isinstance(request.user, User)
    try:
        comment = services.toggle_like(user=request.user, comment_id=comment_id)
    except Comment.DoesNotExist as exc:
        raise Http404("no such comment") from exc
    except CommentError as exc:
        return _refused(request, exc, {"back": safe_next(request, "/")})
    comment.liked = comment.votes.filter(user=request.user).exists()  # type: ignore[attr-defined]
    return _comment_response(request, comment)


# --- moderation ---------------------------------------------------------------


def _staff_only(request: HttpRequest) -> User:
    user = request.user
    if not (user.is_authenticated and user.is_staff and user.is_active):
        raise Http404
    assert isinstance(user, User)
    return user


@require_GET
def moderation_queue(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    pending = Comment.objects.filter(status=S.PENDING).select_related(
        "author__profile", "article", "story"
    )
    reported_ids = Report.objects.filter(resolved_at__isnull=True).values("comment_id")
    reported = (
        Comment.objects.filter(pk__in=reported_ids)
        .select_related("author__profile", "article", "story")
        .prefetch_related("reports")
    )
    return _page(
        request,
        "community/moderation_queue.html",
        {
            "pending": pending.order_by("created_at")[:200],
            "reported": reported.order_by("created_at")[:200],
            "recent": ModerationAction.objects.select_related("actor", "subject", "comment")[:30],
        },
    )


@require_GET
def moderation_log(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    actions = ModerationAction.objects.select_related(
        "actor__profile", "subject__profile", "comment"
    )
    return _page(request, "community/moderation_log.html", {"actions": actions[:500]})


@require_POST
def moderation_act(request: HttpRequest, comment_id: int) -> HttpResponse:
    moderator = _staff_only(request)
    kind = request.POST.get("action", "")
    if kind not in services.MODERATION_KINDS:
        raise Http404("unknown action")
    form = ModerationForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.moderate(moderator=moderator, comment_id=comment_id, kind=kind, reason=reason)
    except ObjectDoesNotExist as exc:
        raise Http404("no such comment") from exc
    except CommentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Comment #{comment_id}: {kind} done.")
    return redirect(safe_next(request, reverse("community:moderation")))


@require_POST
def moderation_ban(request: HttpRequest, user_id: int) -> HttpResponse:
    moderator = _staff_only(request)
    form = ModerationForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if request.POST.get("action") == "unban":
            services.unban(moderator=moderator, user_id=user_id, reason=reason)
            messages.success(request, "Ban lifted.")
        else:
            services.ban(
                moderator=moderator,
                user_id=user_id,
                reason=reason,
                hide_comments=request.POST.get("hide_comments") == "on",
            )
            messages.success(request, "Reader banned.")
    except User.DoesNotExist as exc:
        raise Http404("no such reader") from exc
    except CommentError as exc:
        messages.error(request, exc.message)
    return redirect(safe_next(request, reverse("community:moderation")))
