"""BacklogTotal counts hours (time items only), no longer a quantity that added kilometres and
nights to hours."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("actuals", "0006_backlog_amount_index")]

    operations = [
        migrations.RenameField(model_name="backlogtotal", old_name="quantity", new_name="hours"),
    ]
