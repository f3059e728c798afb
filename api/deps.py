"""FastAPI dependencies handing routes the app's repository, farm and settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.farm_port import FarmManager
from farm.settings import Settings
from state.repository import Repository


def _repository(request: Request) -> Repository:
    repository: Repository = request.app.state.repository
    return repository


def _farm(request: Request) -> FarmManager:
    farm: FarmManager = request.app.state.farm
    return farm


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


RepositoryDep = Annotated[Repository, Depends(_repository)]
FarmDep = Annotated[FarmManager, Depends(_farm)]
SettingsDep = Annotated[Settings, Depends(_settings)]
