"""Market alarms: a user's conditions on a price, an RSI or the bots' EMA cross, checked by
a scheduled task over the shared market-data cache and told to the linked chat once per
crossing. The REST API (`/api/v1/alarms`) and the chat's `/alarm` commands share `service`."""
