from django.urls import path

from . import views

urlpatterns = [
    path("", views.patrol_list_view, name="list"),
    path("start/", views.patrol_start_view, name="start"),
    path("coverage/", views.coverage_view, name="coverage"),
    path("plans/", views.plan_list_view, name="plans"),
    path("plans/<int:grid_pk>/", views.plan_edit_view, name="plan_edit"),
    path("<int:pk>/", views.patrol_detail, name="detail"),
    path("<int:pk>/<str:what>/", views.patrol_action, name="action"),
    path("photos/<int:pk>/", views.photo_view, name="photo"),
]
