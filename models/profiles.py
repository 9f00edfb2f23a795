"""Customer profiles (seeds 001-004): the profile beside each account, the address book and the
devices a customer signs in from. Personal data is encrypted at rest (models.encryption):
date of birth, location, skin profile, and the personal parts of each address.

Created by migration 0009, which also adds the partial unique index
`customer_address_one_default (user_id, type) WHERE is_default`: at most one default address
per customer and type (the service keeps it so in one transaction; the index is the backstop).
"""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.encryption import EncryptedJSONField, EncryptedTextField
from models.users import User

GENDERS = ("male", "female", "other", "prefer_not_to_say")
THEMES = ("light", "dark", "system")
SKIN_TYPES = ("normal", "dry", "oily", "combination", "sensitive")
ADDRESS_TYPES = ("shipping", "billing")


class CustomerProfile(BaseModel):
    """One per user that has one (created on first write; the user id is the primary key).

    - `date_of_birth`: ISO date text (`1990-01-15`), encrypted;
    - `gender`: one of GENDERS; `language`: a BCP 47 tag (`en`, `ar`, `pt-BR`); `theme`: THEMES;
    - `location`: encrypted JSON `{"city", "state", "country" (ISO 3166-1 alpha-2),
      "coordinates": [longitude, latitude]}`, every key optional (seed 002);
    - `skin_type` (SKIN_TYPES) and `skin_concerns` (JSON list of slugs), encrypted (seed 004);
    - `avatar_url`: the API path of the current avatar (`/api/v1/media/avatars/<user>/<file>`);
    - `preferences`: JSON `{"push": bool, "categories": [str], "favoriteOccasions": [str],
      "priceRange": {"min", "max"} (minor units) | null, "currency": str}`; the email, SMS and
      in-app switches live in the notification preferences (models.notifications).
    """

    user = peewee.ForeignKeyField(User, primary_key=True, backref="customer_profile", on_delete="CASCADE")
    date_of_birth = EncryptedTextField(null=True)
    gender = peewee.CharField(max_length=20, null=True)
    language = peewee.CharField(max_length=35, null=True)
    theme = peewee.CharField(max_length=10, null=True)
    location = EncryptedJSONField(null=True)
    skin_type = EncryptedTextField(null=True)
    skin_concerns = EncryptedJSONField(null=True)
    avatar_url = peewee.CharField(max_length=300, null=True)
    is_onboarded = peewee.BooleanField(default=False)
    last_active_at = peewee.DateTimeField(null=True)
    preferences = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "customer_profile"


class CustomerAddress(BaseModel):
    """An address-book entry (seed 003 addresses, seed 004 customer_addresses), in the order
    address shape (web.schemas.AddressSchema). Names, company, street, building, apartment,
    postal code and phone are encrypted; label, type, city, state, governorate and country
    (ISO 3166-1 alpha-2) are plain, for shipping zones and support."""

    id = PrefixedIdField("adr")
    user = peewee.ForeignKeyField(User, backref="addresses", on_delete="CASCADE")
    label = peewee.CharField(max_length=50, null=True)
    type = peewee.CharField(max_length=10, default="shipping")
    is_default = peewee.BooleanField(default=False)
    first_name = EncryptedTextField(null=True)
    last_name = EncryptedTextField(null=True)
    company = EncryptedTextField(null=True)
    street = EncryptedTextField(null=True)
    building = EncryptedTextField(null=True)
    apartment = EncryptedTextField(null=True)
    postal_code = EncryptedTextField(null=True)
    phone = EncryptedTextField(null=True)
    city = peewee.CharField(max_length=100)
    state = peewee.CharField(max_length=100, null=True)
    governorate = peewee.CharField(max_length=100, null=True)
    country = peewee.CharField(max_length=2)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "customer_address"


class UserDevice(BaseModel):
    """A device a customer used (seed 001 deviceInfo): the client's device id, its platform
    (ios, android, web... as the client says) and when it was last used; one row per (user, device)."""

    id = PrefixedIdField("dev")
    user = peewee.ForeignKeyField(User, backref="devices", on_delete="CASCADE")
    device_id = peewee.CharField(max_length=100)
    platform = peewee.CharField(max_length=30, null=True)
    last_used_at = peewee.DateTimeField(default=utcnow)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "user_device"
        indexes = ((("user", "device_id"), True),)
