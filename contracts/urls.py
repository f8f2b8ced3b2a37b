from django.urls import path

from contracts import views

app_name = "contracts"
urlpatterns: list = [
    path("", views.contract_list, name="list"),
    path("<int:pk>/", views.contract_detail, name="detail"),
]
