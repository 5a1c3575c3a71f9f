"""Ecwid's own example answers, kept to check the loopback Ecwid and the bot's reading against.

DOCUMENTED parts are the opening of the "Request and response example" of each page, as the
page gives it (docs.ecwid.com/api-reference/rest-api/…), cut where the fields stop mattering to
the bot. The pages' examples stop before `media` and `combinations`, and the profile's before
`settings` and `languages`: those parts are written from the official client's result classes
(Ecwid/ecwid-java-api-client, src/main/kotlin/com/ecwid/apiclient/v3/dto/…), with their field
names and types, and values of our own (CLIENT_SHAPED).
"""

from __future__ import annotations

from typing import Any

# docs.ecwid.com/api-reference/rest-api/products/get-product (opening, verbatim)
PRODUCT_DOCUMENTED: dict[str, Any] = {
    "id": 692730761,
    "sku": "123123",
    "thumbnailUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/4519591923.jpg",
    "unlimited": True,
    "inStock": True,
    "name": "Toys",
    "nameTranslated": {"cs": "", "en": "Toys"},
    "price": 10,
    "url": "https://store1003.company.site/products/toys-692730761",
    "created": "2024-09-04 07:20:11 +0000",
    "updated": "2024-09-04 07:20:12 +0000",
    "createTimestamp": 1725434411,
    "updateTimestamp": 1725434412,
    "enabled": True,
    "options": [],
    "defaultCombinationId": 0,
    "imageUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/4519591921.jpg",
    "smallThumbnailUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/4519591920.jpg",
    "hdThumbnailUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/4519591922.jpg",
    "originalImageUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/4519591919.jpg",
    "originalImage": {
        "url": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/4519591919.jpg",
        "width": 225,
        "height": 225,
    },
}

# CLIENT_SHAPED: dto/product/result/FetchedProduct.kt ProductMedia / ProductImage (id is a String,
# "0" for the main image), FetchedAlt {main, translated}.
MEDIA_CLIENT_SHAPED: dict[str, Any] = {
    "images": [
        {
            "id": "0",
            "orderBy": 0,
            "isMain": True,
            "image160pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/1.jpg",
            "image400pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/2.jpg",
            "image800pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/3.jpg",
            "image1500pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/4.jpg",
            "imageOriginalUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/5.jpg",
            "alt": {"main": "Toys", "translated": {"nl": "Speelgoed"}},
        },
        {
            "id": "4519591925",
            "orderBy": 1,
            "isMain": False,
            "image160pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/9.jpg",
            "image400pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/10.jpg",
            "image800pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/11.jpg",
            "image1500pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/12.jpg",
            "imageOriginalUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/6.jpg",
            "alt": {"main": "Side"},
        },
    ],
    # CLIENT_SHAPED: FetchedProduct.kt ProductMedia.videos, ProductVideo (id String, url,
    # embedHtml, videoCoverId, image160pxUrl … image1500pxUrl, imageOriginalUrl, providerName,
    # title).
    "videos": [
        {
            "id": "3",
            "url": "https://www.youtube.com/watch?v=toys",
            "embedHtml": '<iframe src="https://www.youtube.com/embed/toys"></iframe>',
            "videoCoverId": "41",
            "image160pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/13.jpg",
            "image400pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/14.jpg",
            "image800pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/15.jpg",
            "image1500pxUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/16.jpg",
            "imageOriginalUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/17.jpg",
            "providerName": "YouTube",
            "title": "Toys in action",
        }
    ],
}

# CLIENT_SHAPED: dto/variation/result/FetchedVariation.kt (id Int, sku String?, combinationNumber,
# options [{name, value, nameTranslated, valueTranslated}], imageUrl, originalImageUrl, alt).
VARIATION_CLIENT_SHAPED: dict[str, Any] = {
    "id": 174938711,
    "combinationNumber": 1,
    "sku": "123123-RED",
    "options": [
        {
            "name": "Color",
            "nameTranslated": {"en": "Color"},
            "value": "Red",
            "valueTranslated": {"en": "Red"},
        }
    ],
    "imageUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/7.jpg",
    "originalImageUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/8.jpg",
    "alt": {"main": "Red toy", "translated": {"nl": "Rood speelgoed"}},
}

# CLIENT_SHAPED: dto/product/result/FetchedProduct.kt GalleryImage (legacy, still sent: ref): id
# Long, orderBy, width, height, url, originalImageUrl… — the only place a gallery image's size is.
GALLERY_IMAGES_CLIENT_SHAPED: list[dict[str, Any]] = [
    {
        "id": 4519591925,
        "orderBy": 1,
        "width": 1200,
        "height": 900,
        "url": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/6.jpg",
        "originalImageUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/6.jpg",
    }
]

# CLIENT_SHAPED: dto/product/result/FetchedProduct.kt ProductOption.SelectOption (type, name,
# nameTranslated, choices [ProductOptionChoice {text, textTranslated, priceModifier,
# priceModifierType}], defaultChoice, required): the values a variation's options take.
OPTION_CLIENT_SHAPED: dict[str, Any] = {
    "type": "SELECT",
    "name": "Color",
    "nameTranslated": {"en": "Color", "nl": "Kleur"},
    "choices": [
        {
            "text": "Red",
            "textTranslated": {"en": "Red", "nl": "Rood"},
            "priceModifier": 0.0,
            "priceModifierType": "ABSOLUTE",
        }
    ],
    "defaultChoice": 0,
    "required": True,
}

PRODUCT = {
    **PRODUCT_DOCUMENTED,
    "options": [OPTION_CLIENT_SHAPED],
    "media": MEDIA_CLIENT_SHAPED,
    "galleryImages": GALLERY_IMAGES_CLIENT_SHAPED,
    "combinations": [VARIATION_CLIENT_SHAPED],
}

# docs.ecwid.com/api-reference/rest-api/products/search-products (opening, verbatim: its items
# are products as above).
SEARCH_DOCUMENTED: dict[str, Any] = {
    "total": 2,
    "count": 2,
    "offset": 0,
    "limit": 100,
    "items": [PRODUCT],
}

# GET /products/{id}/combinations: a plain list of variations (ref; client: FetchedVariation).
COMBINATIONS: list[dict[str, Any]] = [VARIATION_CLIENT_SHAPED]

# docs.ecwid.com/api-reference/rest-api/store-profile/get-store-profile (generalInfo, account:
# opening, verbatim); settings and languages CLIENT_SHAPED (dto/profile/result/
# FetchedStoreProfile.kt: Settings.storeName, Languages.enabledLanguages, defaultLanguage).
PROFILE: dict[str, Any] = {
    "generalInfo": {
        "storeId": 1003,
        "storeUrl": "https://store1003.company.site/products",
        "websitePlatform": "instantsite",
        "profileId": "p3855016",
    },
    "account": {"accountName": "API Team Store", "brandName": "Ecwid", "suspended": False},
    "settings": {"storeName": "API Team Store", "closed": False},
    "languages": {"enabledLanguages": ["en", "nl"], "defaultLanguage": "en"},
}

# CLIENT_SHAPED: GET /categories/{id} as dto/category/result/FetchedCategory.kt (current source)
# has it: id Int, parentId, orderBy, name, nameTranslated, enabled, the image's URLs,
# originalImage PictureInfo {url, width, height} (dto/common/PictureInfo.kt), url, productCount,
# alt FetchedAlt {main, translated} (dto/common/Alt.kt). (The reference's page for it is not kept
# here; ref: ecwid-api.md lists the same fields.)
CATEGORY_CLIENT_SHAPED: dict[str, Any] = {
    "id": 9691094,
    "parentId": 0,
    "orderBy": 10,
    "name": "Toys",
    "nameTranslated": {"en": "Toys", "nl": "Speelgoed"},
    "enabled": True,
    "hdThumbnailUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/20.jpg",
    "thumbnailUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/21.jpg",
    "imageUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/22.jpg",
    "originalImageUrl": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/23.jpg",
    "originalImage": {
        "url": "https://d2j6dbq0eux0bg.cloudfront.net/images/1003/23.jpg",
        "width": 1200,
        "height": 400,
    },
    "url": "https://store1003.company.site/toys-c9691094",
    "productCount": 3,
    "alt": {"main": "Toys", "translated": {"nl": "Speelgoed"}},
}

# CLIENT_SHAPED: GET /categories?keyword= as dto/category/result/CategoriesSearchResult.kt has it
# (items, count, total, limit, offset).
CATEGORIES_SEARCH_CLIENT_SHAPED: dict[str, Any] = {
    "total": 1,
    "count": 1,
    "offset": 0,
    "limit": 100,
    "items": [CATEGORY_CLIENT_SHAPED],
}

# The answer of every upload (ref: ecwid-api.md, "Answer: {"id": <number>}, the internal ID of
# the new image"; client: dto/product/result/ProductImageUploadResult.kt,
# ProductGalleryImageUploadResult.kt, dto/category/result/CategoryImageUploadResult.kt,
# dto/variation/result/ProductVariationImageUploadResult.kt: `id` Long). The async calls' answers
# are modelled by the client as empty (ProductImageAsyncUploadResult…): {} is that shape too.
UPLOAD_DOCUMENTED: dict[str, Any] = {"id": 4519591930}

# Every field the bot reads from Ecwid's answers, by where it is (a path of keys, [] for each item
# of a list) and the type it must have there.
READ_BY_THE_BOT: dict[str, tuple[tuple[str, ...], type]] = {
    "product id": (("id",), int),
    "product name": (("name",), str),
    "product sku": (("sku",), str),
    "main image url": (("originalImage", "url"), str),
    "main image width": (("originalImage", "width"), int),
    "main image height": (("originalImage", "height"), int),
    "image id": (("media", "images", "[]", "id"), str),
    "image is main": (("media", "images", "[]", "isMain"), bool),
    "image order": (("media", "images", "[]", "orderBy"), int),
    "image alt": (("media", "images", "[]", "alt"), dict),
    "image alt main": (("media", "images", "[]", "alt", "main"), str),
    "image alt translated": (("media", "images", "[]", "alt", "translated"), dict),
    "image thumbnail 160": (("media", "images", "[]", "image160pxUrl"), str),
    "image thumbnail 400": (("media", "images", "[]", "image400pxUrl"), str),
    "image rendition 800": (("media", "images", "[]", "image800pxUrl"), str),
    "image rendition 1500": (("media", "images", "[]", "image1500pxUrl"), str),
    "image original": (("media", "images", "[]", "imageOriginalUrl"), str),
    "videos": (("media", "videos"), list),  # sent back as Ecwid gave them
    "gallery image size url": (("galleryImages", "[]", "originalImageUrl"), str),
    "gallery image width": (("galleryImages", "[]", "width"), int),
    "gallery image height": (("galleryImages", "[]", "height"), int),
    "option name": (("options", "[]", "name"), str),
    "option name translated": (("options", "[]", "nameTranslated"), dict),
    "option value": (("options", "[]", "choices", "[]", "text"), str),
    "option value translated": (("options", "[]", "choices", "[]", "textTranslated"), dict),
    "variation id": (("combinations", "[]", "id"), int),
    "variation sku": (("combinations", "[]", "sku"), str),
    "variation options": (("combinations", "[]", "options"), list),
    "variation option name": (("combinations", "[]", "options", "[]", "name"), str),
    "variation option value": (("combinations", "[]", "options", "[]", "value"), str),
    "variation image": (("combinations", "[]", "originalImageUrl"), str),
    "variation alt": (("combinations", "[]", "alt"), dict),
}
READ_FROM_SEARCH: dict[str, tuple[tuple[str, ...], type]] = {
    "total": (("total",), int),
    "items": (("items",), list),
}
READ_FROM_CATEGORY: dict[str, tuple[tuple[str, ...], type]] = {
    "category name": (("name",), str),
    "category image url": (("originalImage", "url"), str),
    "category image width": (("originalImage", "width"), int),
    "category image height": (("originalImage", "height"), int),
    "category image url (flat)": (("originalImageUrl",), str),
    "category alt": (("alt",), dict),
    "category alt main": (("alt", "main"), str),
    "category alt translated": (("alt", "translated"), dict),
}
READ_FROM_CATEGORY_SEARCH: dict[str, tuple[tuple[str, ...], type]] = {
    "items": (("items",), list),
    "category id": (("items", "[]", "id"), int),
    "category name": (("items", "[]", "name"), str),
}
READ_FROM_UPLOAD: dict[str, tuple[tuple[str, ...], type]] = {
    "new image id": (("id",), int),
}
READ_FROM_PROFILE: dict[str, tuple[tuple[str, ...], type]] = {
    "enabled languages": (("languages", "enabledLanguages"), list),
    "default language": (("languages", "defaultLanguage"), str),
    "store name": (("settings", "storeName"), str),
}


# Ecwid/ecwid-api-docs includes/_authentication.md, "Step #3" of the full OAuth flow: the
# answer to POST https://my.ecwid.com/api/oauth/token (verbatim).
TOKEN_DOCUMENTED: dict[str, Any] = {
    "access_token": "12345",
    "token_type": "bearer",
    "scope": "read_store_profile update_catalog",
    "store_id": 1003,
    "email": "john@store.com",
    "public_token": "public_qKDUqKkNXzcj9DejkMUqEkYLq2E6BXM9",
}

# Ecwid/ecwid-api-docs includes/_webhooks.md: the `application.uninstalled` example (verbatim,
# but for its comment).
UNINSTALLED_DOCUMENTED: dict[str, Any] = {
    "eventId": "80aece08-40e8-4145-8764-6c2f0d38678",
    "eventCreated": 1234567,
    "storeId": 1003,
    "entityId": "1003",
    "eventType": "application.uninstalled",
}
