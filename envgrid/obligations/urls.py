"""Staff pages under /obligations/ (namespace "obligations")."""

from django.urls import path

from . import supervision_views, views

urlpatterns = [
    path("", views.obligation_index, name="list"),
    path("register/", views.register, name="register"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/pause/", views.pause, name="pause"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("<int:pk>/extend/", views.extend, name="extend"),
    path("<int:pk>/complete/", views.complete, name="complete"),
    path("supervision/", supervision_views.supervision_register, name="supervision-register"),
    path("supervision/new/", supervision_views.supervision_issue, name="supervision-issue"),
    path("supervision/<int:pk>/", supervision_views.supervision_detail, name="supervision-detail"),
    path("supervision/<int:pk>/docx/", supervision_views.supervision_docx, name="supervision-docx"),
]
